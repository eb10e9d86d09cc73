-- A create's answer carries a Location beside its body, and a replay answers it again. It
-- is kept as it is, unsealed: it names the created object, whose id every audit entry
-- about it shows anyway; bodies (which may hold a new key's value) stay sealed.
ALTER TABLE idempotency_keys ADD COLUMN location TEXT;
