-- No name holds a line break: the text filter's trigram index joins name and description with one
-- (0007). The service never writes one (validName); this keeps rows written around it out too.
ALTER TABLE "products" ADD CONSTRAINT "products_name_single_line" CHECK (strpos("products"."name", chr(10)) = 0);
