-- Custom migration: the reservation moves (CommitStock, ReleaseStock, restock) and a StockUpdated
-- event each as one statement, so each costs one round trip and holds its row locks only while the
-- function runs. The state machine stays in TypeScript (src/domain/stock.ts): the caller passes the
-- move's starting status, its result, whether it returns stock, and (for whole reservations) the
-- statuses at which a line counts as done; it reads the outcome from the rows returned.
-- Lock order as everywhere: reservation lines first (product order), then products in id order.

-- Puts each line's quantity back into its product's stock, products locked in id order. Saturates
-- at the int4 maximum rather than failing: a release that can never succeed would stall the
-- sweeper on the same row for ever. A product deleted meanwhile simply gets nothing back.
CREATE OR REPLACE FUNCTION put_back_stock(p_product_ids bigint[], p_quantities integer[])
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM 1 FROM products WHERE id = ANY (p_product_ids) ORDER BY id FOR UPDATE;
  UPDATE products p
  SET stock_quantity = least(p.stock_quantity::bigint + w.quantity, 2147483647), updated_at = now()
  FROM (
    SELECT r.product_id, sum(r.quantity) AS quantity
    FROM unnest(p_product_ids, p_quantities) AS r (product_id, quantity)
    GROUP BY r.product_id
  ) AS w
  WHERE p.id = w.product_id;
END;
$$;
--> statement-breakpoint

-- Moves every line of a reservation, or none. Locks the lines in product order; when each stands
-- at `p_from` or in `p_done`, sets those at `p_from` to `p_to` (and puts their stock back with
-- `p_returns_stock`). Returns the lines as they now stand, in product order: none for an unknown
-- id, and unchanged when some line refuses the move (the caller names it).
CREATE OR REPLACE FUNCTION move_reservation(
  p_reservation_id text,
  p_from text,
  p_to text,
  p_done text[],
  p_returns_stock boolean
) RETURNS SETOF stock_reservations
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ids bigint[];
  quantities integer[];
BEGIN
  PERFORM 1 FROM stock_reservations
  WHERE reservation_id = p_reservation_id ORDER BY product_id FOR UPDATE;
  IF NOT EXISTS (
    SELECT 1 FROM stock_reservations
    WHERE reservation_id = p_reservation_id AND status <> p_from AND status <> ALL (p_done)
  ) THEN
    WITH moved AS (
      UPDATE stock_reservations
      SET status = p_to, updated_at = now()
      WHERE reservation_id = p_reservation_id AND status = p_from
      RETURNING product_id, quantity
    )
    SELECT array_agg(product_id), array_agg(quantity) INTO ids, quantities FROM moved;
    IF p_returns_stock AND ids IS NOT NULL THEN
      PERFORM put_back_stock(ids, quantities);
    END IF;
  END IF;
  RETURN QUERY
    SELECT * FROM stock_reservations
    WHERE reservation_id = p_reservation_id ORDER BY product_id;
END;
$$;
--> statement-breakpoint

-- Applies one StockUpdated event to its line exactly once in effect: records the event id and,
-- only if it is new, moves the line `p_from` → `p_to` when it stands at `p_from` and holds
-- `p_quantity`. One row: `fresh` false for an id seen before (nothing else looked at); otherwise
-- the line's status and quantity before the event (both null when there is no such line) and
-- whether it moved.
CREATE OR REPLACE FUNCTION apply_stock_updated(
  p_event_id text,
  p_reservation_id text,
  p_product_id bigint,
  p_quantity integer,
  p_from text,
  p_to text,
  p_returns_stock boolean
) RETURNS TABLE (fresh boolean, status text, quantity integer, applied boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  line stock_reservations%ROWTYPE;
BEGIN
  -- A concurrent copy of this event waits on this row until the first one commits.
  INSERT INTO processed_events (event_id) VALUES (p_event_id) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT false, NULL::text, NULL::integer, false;
    RETURN;
  END IF;
  SELECT * INTO line FROM stock_reservations r
  WHERE r.reservation_id = p_reservation_id AND r.product_id = p_product_id FOR UPDATE;
  IF NOT FOUND OR line.status <> p_from OR line.quantity <> p_quantity THEN
    RETURN QUERY SELECT true, line.status, line.quantity, false;
    RETURN;
  END IF;
  UPDATE stock_reservations r SET status = p_to, updated_at = now()
  WHERE r.reservation_id = p_reservation_id AND r.product_id = p_product_id;
  IF p_returns_stock THEN
    PERFORM put_back_stock(ARRAY[p_product_id], ARRAY[line.quantity]);
  END IF;
  RETURN QUERY SELECT true, line.status, line.quantity, true;
END;
$$;
