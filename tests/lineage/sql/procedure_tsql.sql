CREATE PROCEDURE dbo.load_orders
    @since DATE
AS
BEGIN
    SET NOCOUNT ON;
    IF @since IS NULL
        SET @since = '2020-01-01';
    INSERT INTO dw.orders (id, amount)
    SELECT o.id, o.amount FROM staging.orders o WHERE o.created >= @since;
    UPDATE dw.orders SET amount = 0 WHERE amount IS NULL;
END
