"""The watchlist: accounts and phone numbers confirmed in a case, and the restriction asked for them."""
