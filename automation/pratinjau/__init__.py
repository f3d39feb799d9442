"""Pratinjau and Lembar Arsip (SPEC section 9): the page an official approves and the sheet
the Kasi files."""
