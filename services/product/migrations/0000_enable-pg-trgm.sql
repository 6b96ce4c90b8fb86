-- Custom migration: the trigram operator classes that the products table's text-search indexes use.
-- pg_trgm is a trusted extension, so the database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
