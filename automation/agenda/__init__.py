"""The Buku Agenda workbook: the template staff and officials work in."""
