SELECT p.id, tag
FROM shop.products p
LATERAL VIEW explode(p.tags) t AS tag;
