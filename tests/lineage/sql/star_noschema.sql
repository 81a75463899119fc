INSERT INTO mart.copy SELECT * FROM sales.orders;
