SELECT e.name, m.name AS manager
FROM hr.employees e
LEFT JOIN hr.employees m ON m.id = e.manager_id;
