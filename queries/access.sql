-- name: account_list
-- Every account, by e-mail (never the password hash).
select email, role, state, created_at, changed_at
from accounts
order by email;

-- name: account_count
-- How many accounts exist, whatever their state: one is enough to end the local mode.
select count(*) as accounts from accounts;

-- name: account_for_sign_in
-- The account an e-mail names, with its hash, to check a password.
select email, role, password_hash, state from accounts where email = $email;

-- name: recent_sign_in_failures
-- The failed sign-ins of one (account, client) pair since its last success, newest first.
select happened_at
from audit
where event = 'sign_in_failed' and target = $email and client = $client
  and happened_at > coalesce((select max(happened_at) from audit
                     where event = 'sign_in' and target = $email and client = $client),
                    '-infinity'::timestamp)
order by happened_at desc
limit $limit;

-- name: audit_recent
-- The newest events of the audit, newest first.
select id, happened_at, actor, role, event, target, client, detail
from audit
order by id desc
limit $limit;
