-- a copied database never texts real subscribers
UPDATE zm_sms_provider SET active = false, secret_key = NULL, report_token = NULL;
UPDATE zm_sms_message SET state = 'skipped', error_code = 'neutralized',
       error_message = 'Database neutralised: not sent.'
 WHERE state IN ('queued', 'sending', 'uncertain');
