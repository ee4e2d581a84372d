"""What a guest sees after getting access: the Start watching page's content (the owner's, made safe)."""
