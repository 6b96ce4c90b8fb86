-- Custom migration: ReserveStock as one statement (`SELECT * FROM reserve_stock(…)`), so a
-- reservation costs one round trip and holds the products' row locks for microseconds instead of
-- several client round trips. Every caller lands here; stock-repository.ts maps the outcomes.
--
-- Returns the reservation's lines in product order: the existing ones when the id is taken (the
-- caller decides whether that is a replay), otherwise the new ones. Refusals roll everything back:
--   SQLSTATE 'SR001' unknown product, DETAIL = its id;
--   SQLSTATE 'SR002' too little stock, MESSAGE = the refusal, DETAIL = the product id.
-- `p_product_ids` holds each product once, `p_quantities` the matching quantities.
CREATE OR REPLACE FUNCTION reserve_stock(
  p_reservation_id text,
  p_product_ids bigint[],
  p_quantities integer[],
  p_expires_at timestamptz
) RETURNS SETOF stock_reservations
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  line record;
  taken integer;
BEGIN
  -- A retry racing the original call waits here, then (a new snapshot per statement) finds its lines.
  PERFORM pg_advisory_xact_lock(5050, hashtext(p_reservation_id));
  RETURN QUERY
    SELECT * FROM stock_reservations
    WHERE reservation_id = p_reservation_id ORDER BY product_id;
  IF FOUND THEN
    RETURN;
  END IF;
  -- Lock in id order, the order of every writer, so multi-line reservations never deadlock.
  PERFORM 1 FROM products WHERE id = ANY (p_product_ids) ORDER BY id FOR UPDATE;
  FOR line IN
    SELECT w.product_id, w.quantity, p.stock_quantity AS stock
    FROM unnest(p_product_ids, p_quantities) AS w (product_id, quantity)
    LEFT JOIN products p ON p.id = w.product_id
    ORDER BY (p.id IS NULL) DESC, w.product_id
  LOOP
    IF line.stock IS NULL THEN
      RAISE EXCEPTION 'product % not found', line.product_id
        USING ERRCODE = 'SR001', DETAIL = line.product_id::text;
    END IF;
    IF line.stock < line.quantity THEN
      RAISE EXCEPTION 'only % of product % in stock, % requested',
        line.stock, line.product_id, line.quantity
        USING ERRCODE = 'SR002', DETAIL = line.product_id::text;
    END IF;
  END LOOP;
  -- Under the locks every product has enough; the condition and the CHECK stay as the backstop.
  UPDATE products p
  SET stock_quantity = p.stock_quantity - w.quantity, updated_at = now()
  FROM unnest(p_product_ids, p_quantities) AS w (product_id, quantity)
  WHERE p.id = w.product_id AND p.stock_quantity >= w.quantity;
  GET DIAGNOSTICS taken = ROW_COUNT;
  IF taken <> cardinality(p_product_ids) THEN
    RAISE EXCEPTION 'stock of reservation % moved under its row locks', p_reservation_id;
  END IF;
  RETURN QUERY
    INSERT INTO stock_reservations (reservation_id, product_id, quantity, status, expires_at)
    SELECT p_reservation_id, w.product_id, w.quantity, 'reserved', p_expires_at
    FROM unnest(p_product_ids, p_quantities) AS w (product_id, quantity)
    ORDER BY w.product_id
    RETURNING *;
END;
$$;
