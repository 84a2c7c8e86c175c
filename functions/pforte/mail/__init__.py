"""Mail: what the product sends, rendered per language."""
