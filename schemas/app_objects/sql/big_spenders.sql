SELECT account_id, email, spent
FROM account_totals
WHERE spent >= 1000;
