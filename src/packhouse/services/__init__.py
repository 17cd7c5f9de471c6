"""Services: plain classes that own their transactions; adapters are passed in."""
