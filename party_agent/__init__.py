"""The party agent: the only program that ever touches a party's raw identifiers."""
