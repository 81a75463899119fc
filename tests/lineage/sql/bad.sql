INSERT INTO dw.ok (id) SELECT id FROM crm.a;

INSERT INTO dw.broken (id)
SELECT id FROM crm.b WHERE (id > ;
