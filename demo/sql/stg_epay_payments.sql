-- Deliberately broken (a missing expression after '>=') to show how parse errors are reported.
INSERT INTO staging.payments (payment_id, member_id, paid_amount)
SELECT TOP 100 p.payment_id, p.member_id, p.paid_amount
FROM epay.payments AS p
WHERE p.paid_at >= ;
