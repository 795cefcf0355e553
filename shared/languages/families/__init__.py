"""Language definitions by family; shared/languages/catalogue.py assembles them."""
