-- Custom migration: a StockUpdated event that finds its line already where it would move it is
-- answered by reads alone. Every completed checkout sends one SOLD per line after CommitStock
-- already sold them over gRPC, and each used to insert its id into processed_events (a write and
-- a WAL flush at commit) only to change nothing. Lines only move forward (reserved → committed →
-- restocked, reserved → released) and a move applies only to a line at its starting status, so
-- such an event can never apply later either: recording its id protects nothing. An id recorded
-- before is still reported as seen (`fresh` false). Everything else is as in 0004_stock-moves.
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
  SELECT * INTO line FROM stock_reservations r
  WHERE r.reservation_id = p_reservation_id AND r.product_id = p_product_id;
  IF FOUND AND line.status = p_to AND line.quantity = p_quantity THEN
    RETURN QUERY SELECT NOT EXISTS (SELECT 1 FROM processed_events e WHERE e.event_id = p_event_id),
      line.status, line.quantity, false;
    RETURN;
  END IF;
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
