"""Notifications: telling officials, staff and the administrator what needs them."""
