-- The revue de projet (report, indicators file, workbook): every figure it shows comes from the
-- pages' own queries; only what no page shows is defined here.

-- name: report_freshness
-- Per kind of file, the date of its latest import still in force and how many such imports there are (the report's cover).
select kind, max(imported_at) as last_import, count(*)::bigint as imports
from batches
where status = 'active'
group by kind
order by kind;
