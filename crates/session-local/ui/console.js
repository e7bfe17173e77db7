// The support console (written next).
