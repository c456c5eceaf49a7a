"""Commission statements: HTML per employee and quarter, rendered after publish."""
