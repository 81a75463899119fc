CREATE PROCEDURE dbo.load_both AS
BEGIN
    INSERT INTO dw.a (id) SELECT id FROM staging.a;
    INSERT INTO dw.b (id) SELECT id FROM staging.b WHERE id = ;
END
