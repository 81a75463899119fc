DO $$
BEGIN
    INSERT INTO dw.audit (id, note)
    SELECT id, note FROM staging.audit;
END
$$;
