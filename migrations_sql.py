"""The SQL the migrations of database.py run, frozen on 2026-12-03 from that day's models.

Never regenerate or edit: a migration means what it meant when it shipped, whatever the models
say later. A new migration writes its own SQL (or declares its own frozen tables) beside it.
TABLES: CREATE TABLE per dialect. COLUMNS: (table, column) -> the column's definition per
dialect and the default an ALTER needs for NOT NULL. INDEXES: table -> [(columns, SQL per
dialect)], created by a migration once the table has every column the index names."""
# flake8: noqa: E501

TABLES = {'calendar_day': {'postgres': 'CREATE TABLE IF NOT EXISTS "calendar_day" ("id" SERIAL NOT NULL '
                              'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                              'TIMESTAMP NOT NULL, "created_by_id" INTEGER, "archived_at" '
                              'TIMESTAMP, "archive_reason" TEXT, "version" INTEGER, "day" DATE NOT '
                              'NULL, "kind" VARCHAR(32) NOT NULL CHECK (kind IN (\'holiday\', '
                              '\'workday\')), "name" VARCHAR(50), "source" VARCHAR(32) NOT NULL '
                              "CHECK (source IN ('package', 'manual', 'notice')), FOREIGN KEY "
                              '("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL)',
                  'sqlite': 'CREATE TABLE IF NOT EXISTS "calendar_day" ("id" INTEGER NOT NULL '
                            'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME '
                            'NOT NULL, "created_by_id" INTEGER, "archived_at" DATETIME, '
                            '"archive_reason" TEXT, "version" INTEGER, "day" DATE NOT NULL, "kind" '
                            "VARCHAR(32) NOT NULL CHECK (kind IN ('holiday', 'workday')), "
                            '"name" VARCHAR(50), "source" VARCHAR(32) NOT NULL CHECK (source IN '
                            '(\'package\', \'manual\', \'notice\')), FOREIGN KEY ("created_by_id") '
                            'REFERENCES "user" ("id") ON DELETE SET NULL)'},
 'calendar_year': {'postgres': 'CREATE TABLE IF NOT EXISTS "calendar_year" ("id" SERIAL NOT NULL '
                               'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                               'TIMESTAMP NOT NULL, "year" INTEGER NOT NULL, "source" VARCHAR(32) '
                               "NOT NULL CHECK (source IN ('package', 'notice', 'admin')), "
                               '"confirmed_at" TIMESTAMP NOT NULL, "confirmed_by_id" INTEGER, '
                               'FOREIGN KEY ("confirmed_by_id") REFERENCES "user" ("id") ON DELETE '
                               'SET NULL)',
                   'sqlite': 'CREATE TABLE IF NOT EXISTS "calendar_year" ("id" INTEGER NOT NULL '
                             'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME '
                             'NOT NULL, "year" INTEGER NOT NULL, "source" VARCHAR(32) NOT NULL '
                             "CHECK (source IN ('package', 'notice', 'admin')), "
                             '"confirmed_at" DATETIME NOT NULL, "confirmed_by_id" INTEGER, FOREIGN '
                             'KEY ("confirmed_by_id") REFERENCES "user" ("id") ON DELETE SET '
                             'NULL)'},
 'call_script': {'postgres': 'CREATE TABLE IF NOT EXISTS "call_script" ("id" SERIAL NOT NULL '
                             'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP '
                             'NOT NULL, "created_by_id" INTEGER, "archived_at" TIMESTAMP, '
                             '"archive_reason" TEXT, "version" INTEGER, "topic" VARCHAR(100) NOT '
                             'NULL, "trigger" VARCHAR(32) NOT NULL CHECK (trigger IN '
                             "('repair_open', 'repair_callback', 'complaint_open', "
                             "'complaint_callback', 'service_pending', 'loan_out', "
                             "'notice_pending', 'survey_pending', 'action_item', 'lease_ending', "
                             '\'repeat_contact\', \'new_caller\', \'general\')), "script" TEXT NOT '
                             'NULL, "department_id" INTEGER, "owner_id" INTEGER, "seq" INTEGER NOT '
                             'NULL, "is_active" BOOLEAN NOT NULL, FOREIGN KEY ("created_by_id") '
                             'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY '
                             '("department_id") REFERENCES "department" ("id") ON DELETE RESTRICT, '
                             'FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON DELETE SET '
                             'NULL)',
                 'sqlite': 'CREATE TABLE IF NOT EXISTS "call_script" ("id" INTEGER NOT NULL '
                           'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT '
                           'NULL, "created_by_id" INTEGER, "archived_at" DATETIME, '
                           '"archive_reason" TEXT, "version" INTEGER, "topic" VARCHAR(100) NOT '
                           'NULL, "trigger" VARCHAR(32) NOT NULL CHECK (trigger IN '
                           "('repair_open', 'repair_callback', 'complaint_open', "
                           "'complaint_callback', 'service_pending', 'loan_out', 'notice_pending', "
                           "'survey_pending', 'action_item', 'lease_ending', 'repeat_contact', "
                           '\'new_caller\', \'general\')), "script" TEXT NOT NULL, "department_id" '
                           'INTEGER, "owner_id" INTEGER, "seq" INTEGER NOT NULL, "is_active" '
                           'INTEGER NOT NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" '
                           '("id") ON DELETE SET NULL, FOREIGN KEY ("department_id") REFERENCES '
                           '"department" ("id") ON DELETE RESTRICT, FOREIGN KEY ("owner_id") '
                           'REFERENCES "user" ("id") ON DELETE SET NULL)'},
 'complaint_guideline': {'postgres': 'CREATE TABLE IF NOT EXISTS "complaint_guideline" ("id" '
                                     'SERIAL NOT NULL PRIMARY KEY, "created_at" TIMESTAMP NOT '
                                     'NULL, "updated_at" TIMESTAMP NOT NULL, "created_by_id" '
                                     'INTEGER, "archived_at" TIMESTAMP, "archive_reason" TEXT, '
                                     '"version" INTEGER, "seq" INTEGER NOT NULL, "text" '
                                     'VARCHAR(200) NOT NULL, "is_active" BOOLEAN NOT NULL, FOREIGN '
                                     'KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET '
                                     'NULL)',
                         'sqlite': 'CREATE TABLE IF NOT EXISTS "complaint_guideline" ("id" INTEGER '
                                   'NOT NULL PRIMARY KEY, "created_at" DATETIME NOT NULL, '
                                   '"updated_at" DATETIME NOT NULL, "created_by_id" INTEGER, '
                                   '"archived_at" DATETIME, "archive_reason" TEXT, "version" '
                                   'INTEGER, "seq" INTEGER NOT NULL, "text" VARCHAR(200) NOT NULL, '
                                   '"is_active" INTEGER NOT NULL, FOREIGN KEY ("created_by_id") '
                                   'REFERENCES "user" ("id") ON DELETE SET NULL)'},
 'complaint_pass_on': {'postgres': 'CREATE TABLE IF NOT EXISTS "complaint_pass_on" ("id" SERIAL '
                                   'NOT NULL PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, '
                                   '"updated_at" TIMESTAMP NOT NULL, "created_by_id" INTEGER, '
                                   '"archived_at" TIMESTAMP, "archive_reason" TEXT, "version" '
                                   'INTEGER, "number" VARCHAR(20), "complainant_name" VARCHAR(50) '
                                   'NOT NULL, "complainant_phone" VARCHAR(20), "customer_id" '
                                   'INTEGER, "channel" VARCHAR(32) NOT NULL CHECK (channel IN '
                                   "('visit', 'phone', 'letter', 'email', 'hotline', 'web')), "
                                   '"subject" VARCHAR(200) NOT NULL, "content" TEXT, "received_at" '
                                   'TIMESTAMP NOT NULL, "received_by_id" INTEGER, "department_id" '
                                   'INTEGER, "status" VARCHAR(32) NOT NULL CHECK (status IN '
                                   "('waiting', 'registered', 'cancelled')), "
                                   '"register_deadline" TIMESTAMP, "registered_at" TIMESTAMP, '
                                   '"registered_by_id" INTEGER, "contact_id" INTEGER, '
                                   '"complaint_id" INTEGER, FOREIGN KEY ("created_by_id") '
                                   'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY '
                                   '("customer_id") REFERENCES "customer" ("id") ON DELETE '
                                   'RESTRICT, FOREIGN KEY ("received_by_id") REFERENCES "user" '
                                   '("id") ON DELETE SET NULL, FOREIGN KEY ("department_id") '
                                   'REFERENCES "department" ("id") ON DELETE RESTRICT, FOREIGN KEY '
                                   '("registered_by_id") REFERENCES "user" ("id") ON DELETE SET '
                                   'NULL, FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") '
                                   'ON DELETE RESTRICT, FOREIGN KEY ("complaint_id") REFERENCES '
                                   '"complaint" ("id") ON DELETE RESTRICT)',
                       'sqlite': 'CREATE TABLE IF NOT EXISTS "complaint_pass_on" ("id" INTEGER NOT '
                                 'NULL PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" '
                                 'DATETIME NOT NULL, "created_by_id" INTEGER, "archived_at" '
                                 'DATETIME, "archive_reason" TEXT, "version" INTEGER, "number" '
                                 'VARCHAR(20), "complainant_name" VARCHAR(50) NOT NULL, '
                                 '"complainant_phone" VARCHAR(20), "customer_id" INTEGER, '
                                 '"channel" VARCHAR(32) NOT NULL CHECK (channel IN (\'visit\', '
                                 "'phone', 'letter', 'email', 'hotline', 'web')), "
                                 '"subject" VARCHAR(200) NOT NULL, "content" TEXT, "received_at" '
                                 'DATETIME NOT NULL, "received_by_id" INTEGER, "department_id" '
                                 'INTEGER, "status" VARCHAR(32) NOT NULL CHECK (status IN '
                                 "('waiting', 'registered', 'cancelled')), "
                                 '"register_deadline" DATETIME, "registered_at" DATETIME, '
                                 '"registered_by_id" INTEGER, "contact_id" INTEGER, "complaint_id" '
                                 'INTEGER, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") '
                                 'ON DELETE SET NULL, FOREIGN KEY ("customer_id") REFERENCES '
                                 '"customer" ("id") ON DELETE RESTRICT, FOREIGN KEY '
                                 '("received_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, '
                                 'FOREIGN KEY ("department_id") REFERENCES "department" ("id") ON '
                                 'DELETE RESTRICT, FOREIGN KEY ("registered_by_id") REFERENCES '
                                 '"user" ("id") ON DELETE SET NULL, FOREIGN KEY ("contact_id") '
                                 'REFERENCES "contact" ("id") ON DELETE RESTRICT, FOREIGN KEY '
                                 '("complaint_id") REFERENCES "complaint" ("id") ON DELETE '
                                 'RESTRICT)'},
 'deadline': {'postgres': 'CREATE TABLE IF NOT EXISTS "deadline" ("id" SERIAL NOT NULL PRIMARY '
                          'KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
                          '"created_by_id" INTEGER, "archived_at" TIMESTAMP, "archive_reason" '
                          'TEXT, "version" INTEGER, "record_type" VARCHAR(40) NOT NULL, '
                          '"record_id" INTEGER NOT NULL, "kind" VARCHAR(20) NOT NULL CHECK (kind '
                          "IN ('accept', 'callback', 'handback', 'forward', 'finance', 'free', "
                          "'start', 'resolve', 'follow_up', 'approve', 'train', 'file', "
                          '\'confirm\')), "rule_id" INTEGER, "rule_code" VARCHAR(40) NOT NULL, '
                          '"limit_amount" INTEGER NOT NULL, "limit_unit" VARCHAR(20) NOT NULL, '
                          '"limit_clock" VARCHAR(20) NOT NULL, "explanation" VARCHAR(200) NOT '
                          'NULL, "started_at" TIMESTAMP NOT NULL, "original_due_at" TIMESTAMP NOT '
                          'NULL, "due_at" TIMESTAMP NOT NULL, "held_seconds" INTEGER NOT NULL, '
                          '"warn_at" TIMESTAMP, "level2_at" TIMESTAMP, "level3_at" TIMESTAMP, '
                          '"level4_at" TIMESTAMP, "met_at" TIMESTAMP, "status" VARCHAR(32) NOT '
                          "NULL CHECK (status IN ('running', 'met', 'cancelled')), FOREIGN KEY "
                          '("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN '
                          'KEY ("rule_id") REFERENCES "sla_rule" ("id") ON DELETE RESTRICT)',
              'sqlite': 'CREATE TABLE IF NOT EXISTS "deadline" ("id" INTEGER NOT NULL PRIMARY KEY, '
                        '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
                        '"created_by_id" INTEGER, "archived_at" DATETIME, "archive_reason" TEXT, '
                        '"version" INTEGER, "record_type" VARCHAR(40) NOT NULL, "record_id" '
                        'INTEGER NOT NULL, "kind" VARCHAR(20) NOT NULL CHECK (kind IN (\'accept\', '
                        "'callback', 'handback', 'forward', 'finance', 'free', 'start', 'resolve', "
                        '\'follow_up\', \'approve\', \'train\', \'file\', \'confirm\')), "rule_id" '
                        'INTEGER, "rule_code" VARCHAR(40) NOT NULL, "limit_amount" INTEGER NOT '
                        'NULL, "limit_unit" VARCHAR(20) NOT NULL, "limit_clock" VARCHAR(20) NOT '
                        'NULL, "explanation" VARCHAR(200) NOT NULL, "started_at" DATETIME NOT '
                        'NULL, "original_due_at" DATETIME NOT NULL, "due_at" DATETIME NOT NULL, '
                        '"held_seconds" INTEGER NOT NULL, "warn_at" DATETIME, "level2_at" '
                        'DATETIME, "level3_at" DATETIME, "level4_at" DATETIME, "met_at" DATETIME, '
                        '"status" VARCHAR(32) NOT NULL CHECK (status IN (\'running\', \'met\', '
                        '\'cancelled\')), FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") '
                        'ON DELETE SET NULL, FOREIGN KEY ("rule_id") REFERENCES "sla_rule" ("id") '
                        'ON DELETE RESTRICT)'},
 'form_token': {'postgres': 'CREATE TABLE IF NOT EXISTS "form_token" ("id" SERIAL NOT NULL PRIMARY '
                            'KEY, "token" VARCHAR(64) NOT NULL, "record_type" VARCHAR(40), '
                            '"record_id" INTEGER, "used_at" TIMESTAMP NOT NULL)',
                'sqlite': 'CREATE TABLE IF NOT EXISTS "form_token" ("id" INTEGER NOT NULL PRIMARY '
                          'KEY, "token" VARCHAR(64) NOT NULL, "record_type" VARCHAR(40), '
                          '"record_id" INTEGER, "used_at" DATETIME NOT NULL)'},
 'hold': {'postgres': 'CREATE TABLE IF NOT EXISTS "hold" ("id" SERIAL NOT NULL PRIMARY KEY, '
                      '"created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
                      '"created_by_id" INTEGER, "archived_at" TIMESTAMP, "archive_reason" TEXT, '
                      '"version" INTEGER, "record_type" VARCHAR(40) NOT NULL, "record_id" INTEGER '
                      'NOT NULL, "reason" TEXT NOT NULL, "started_at" TIMESTAMP NOT NULL, '
                      '"ended_at" TIMESTAMP, "ended_by_id" INTEGER, FOREIGN KEY ("created_by_id") '
                      'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY ("ended_by_id") '
                      'REFERENCES "user" ("id") ON DELETE SET NULL)',
          'sqlite': 'CREATE TABLE IF NOT EXISTS "hold" ("id" INTEGER NOT NULL PRIMARY KEY, '
                    '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
                    '"created_by_id" INTEGER, "archived_at" DATETIME, "archive_reason" TEXT, '
                    '"version" INTEGER, "record_type" VARCHAR(40) NOT NULL, "record_id" INTEGER '
                    'NOT NULL, "reason" TEXT NOT NULL, "started_at" DATETIME NOT NULL, "ended_at" '
                    'DATETIME, "ended_by_id" INTEGER, FOREIGN KEY ("created_by_id") REFERENCES '
                    '"user" ("id") ON DELETE SET NULL, FOREIGN KEY ("ended_by_id") REFERENCES '
                    '"user" ("id") ON DELETE SET NULL)'},
 'imported_upload': {'postgres': 'CREATE TABLE IF NOT EXISTS "imported_upload" ("id" SERIAL NOT '
                                 'NULL PRIMARY KEY, "token" VARCHAR(64) NOT NULL, "user_id" '
                                 'INTEGER NOT NULL, "register" VARCHAR(30) NOT NULL, "filename" '
                                 'VARCHAR(100) NOT NULL, "counts" TEXT NOT NULL, "imported_at" '
                                 'TIMESTAMP NOT NULL)',
                     'sqlite': 'CREATE TABLE IF NOT EXISTS "imported_upload" ("id" INTEGER NOT '
                               'NULL PRIMARY KEY, "token" VARCHAR(64) NOT NULL, "user_id" INTEGER '
                               'NOT NULL, "register" VARCHAR(30) NOT NULL, "filename" VARCHAR(100) '
                               'NOT NULL, "counts" TEXT NOT NULL, "imported_at" DATETIME NOT '
                               'NULL)'},
 'item_loan': {'postgres': 'CREATE TABLE IF NOT EXISTS "item_loan" ("id" SERIAL NOT NULL PRIMARY '
                           'KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
                           '"created_by_id" INTEGER, "archived_at" TIMESTAMP, "archive_reason" '
                           'TEXT, "version" INTEGER, "number" VARCHAR(20), "receipt_no" '
                           'VARCHAR(20), "item_id" INTEGER NOT NULL, "customer_id" INTEGER, '
                           '"borrower_name" VARCHAR(50) NOT NULL, "borrower_phone" VARCHAR(20), '
                           '"lent_at" TIMESTAMP NOT NULL, "due_back_at" TIMESTAMP, "returned_at" '
                           'TIMESTAMP, "deposit" NUMERIC(12, 2) NOT NULL CHECK (deposit >= 0), '
                           '"fee" NUMERIC(12, 2) NOT NULL CHECK (fee >= 0), "refund" NUMERIC(12, '
                           '2) CHECK (refund >= 0), "refunded_at" TIMESTAMP, "lent_by_id" INTEGER, '
                           '"issued_by_id" INTEGER, "returned_to_id" INTEGER, "refunded_by_id" '
                           'INTEGER, "fee_charge_id" INTEGER, "status" VARCHAR(32) NOT NULL CHECK '
                           "(status IN ('issuing', 'out', 'returned', 'refunded', 'cancelled')), "
                           'FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET '
                           'NULL, FOREIGN KEY ("item_id") REFERENCES "lendable_item" ("id") ON '
                           'DELETE RESTRICT, FOREIGN KEY ("customer_id") REFERENCES "customer" '
                           '("id") ON DELETE RESTRICT, FOREIGN KEY ("lent_by_id") REFERENCES '
                           '"user" ("id") ON DELETE SET NULL, FOREIGN KEY ("issued_by_id") '
                           'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY '
                           '("returned_to_id") REFERENCES "user" ("id") ON DELETE SET NULL, '
                           'FOREIGN KEY ("refunded_by_id") REFERENCES "user" ("id") ON DELETE SET '
                           'NULL, FOREIGN KEY ("fee_charge_id") REFERENCES "charge" ("id") ON '
                           'DELETE RESTRICT)',
               'sqlite': 'CREATE TABLE IF NOT EXISTS "item_loan" ("id" INTEGER NOT NULL PRIMARY '
                         'KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
                         '"created_by_id" INTEGER, "archived_at" DATETIME, "archive_reason" TEXT, '
                         '"version" INTEGER, "number" VARCHAR(20), "receipt_no" VARCHAR(20), '
                         '"item_id" INTEGER NOT NULL, "customer_id" INTEGER, "borrower_name" '
                         'VARCHAR(50) NOT NULL, "borrower_phone" VARCHAR(20), "lent_at" DATETIME '
                         'NOT NULL, "due_back_at" DATETIME, "returned_at" DATETIME, "deposit" '
                         'DECIMAL(12, 2) NOT NULL CHECK (deposit >= 0), "fee" DECIMAL(12, 2) NOT '
                         'NULL CHECK (fee >= 0), "refund" DECIMAL(12, 2) CHECK (refund >= 0), '
                         '"refunded_at" DATETIME, "lent_by_id" INTEGER, "issued_by_id" INTEGER, '
                         '"returned_to_id" INTEGER, "refunded_by_id" INTEGER, "fee_charge_id" '
                         'INTEGER, "status" VARCHAR(32) NOT NULL CHECK (status IN (\'issuing\', '
                         "'out', 'returned', 'refunded', 'cancelled')), FOREIGN KEY "
                         '("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN '
                         'KEY ("item_id") REFERENCES "lendable_item" ("id") ON DELETE RESTRICT, '
                         'FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON DELETE '
                         'RESTRICT, FOREIGN KEY ("lent_by_id") REFERENCES "user" ("id") ON DELETE '
                         'SET NULL, FOREIGN KEY ("issued_by_id") REFERENCES "user" ("id") ON '
                         'DELETE SET NULL, FOREIGN KEY ("returned_to_id") REFERENCES "user" ("id") '
                         'ON DELETE SET NULL, FOREIGN KEY ("refunded_by_id") REFERENCES "user" '
                         '("id") ON DELETE SET NULL, FOREIGN KEY ("fee_charge_id") REFERENCES '
                         '"charge" ("id") ON DELETE RESTRICT)'},
 'job_run': {'postgres': 'CREATE TABLE IF NOT EXISTS "job_run" ("id" SERIAL NOT NULL PRIMARY KEY, '
                         '"job" VARCHAR(60) NOT NULL, "slot" VARCHAR(20) NOT NULL, "started_at" '
                         'TIMESTAMP NOT NULL, "finished_at" TIMESTAMP, "result" TEXT, "attempts" '
                         'INTEGER NOT NULL)',
             'sqlite': 'CREATE TABLE IF NOT EXISTS "job_run" ("id" INTEGER NOT NULL PRIMARY KEY, '
                       '"job" VARCHAR(60) NOT NULL, "slot" VARCHAR(20) NOT NULL, "started_at" '
                       'DATETIME NOT NULL, "finished_at" DATETIME, "result" TEXT, "attempts" '
                       'INTEGER NOT NULL)'},
 'login_attempt': {'postgres': 'CREATE TABLE IF NOT EXISTS "login_attempt" ("id" SERIAL NOT NULL '
                               'PRIMARY KEY, "username" VARCHAR(40) NOT NULL, "address" '
                               'VARCHAR(64), "at" TIMESTAMP NOT NULL, "outcome" VARCHAR(10) NOT '
                               'NULL)',
                   'sqlite': 'CREATE TABLE IF NOT EXISTS "login_attempt" ("id" INTEGER NOT NULL '
                             'PRIMARY KEY, "username" VARCHAR(40) NOT NULL, "address" VARCHAR(64), '
                             '"at" DATETIME NOT NULL, "outcome" VARCHAR(10) NOT NULL)'},
 'meeting_attendee': {'postgres': 'CREATE TABLE IF NOT EXISTS "meeting_attendee" ("id" SERIAL NOT '
                                  'NULL PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                                  'TIMESTAMP NOT NULL, "meeting_id" INTEGER NOT NULL, '
                                  '"customer_id" INTEGER NOT NULL, "person" VARCHAR(50), FOREIGN '
                                  'KEY ("meeting_id") REFERENCES "meeting" ("id") ON DELETE '
                                  'CASCADE, FOREIGN KEY ("customer_id") REFERENCES "customer" '
                                  '("id") ON DELETE RESTRICT)',
                      'sqlite': 'CREATE TABLE IF NOT EXISTS "meeting_attendee" ("id" INTEGER NOT '
                                'NULL PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" '
                                'DATETIME NOT NULL, "meeting_id" INTEGER NOT NULL, "customer_id" '
                                'INTEGER NOT NULL, "person" VARCHAR(50), FOREIGN KEY '
                                '("meeting_id") REFERENCES "meeting" ("id") ON DELETE CASCADE, '
                                'FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") ON '
                                'DELETE RESTRICT)'},
 'meeting_staff': {'postgres': 'CREATE TABLE IF NOT EXISTS "meeting_staff" ("id" SERIAL NOT NULL '
                               'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                               'TIMESTAMP NOT NULL, "meeting_id" INTEGER NOT NULL, "user_id" '
                               'INTEGER NOT NULL, FOREIGN KEY ("meeting_id") REFERENCES "meeting" '
                               '("id") ON DELETE CASCADE, FOREIGN KEY ("user_id") REFERENCES '
                               '"user" ("id") ON DELETE RESTRICT)',
                   'sqlite': 'CREATE TABLE IF NOT EXISTS "meeting_staff" ("id" INTEGER NOT NULL '
                             'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME '
                             'NOT NULL, "meeting_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, '
                             'FOREIGN KEY ("meeting_id") REFERENCES "meeting" ("id") ON DELETE '
                             'CASCADE, FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE '
                             'RESTRICT)'},
 'segment_rule': {'postgres': 'CREATE TABLE IF NOT EXISTS "segment_rule" ("id" SERIAL NOT NULL '
                              'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                              'TIMESTAMP NOT NULL, "created_by_id" INTEGER, "archived_at" '
                              'TIMESTAMP, "archive_reason" TEXT, "version" INTEGER, "code" '
                              'VARCHAR(40) NOT NULL, "dimension" VARCHAR(32) NOT NULL CHECK '
                              "(dimension IN ('value', 'engagement', 'satisfaction', 'risk')), "
                              '"seq" INTEGER NOT NULL, "metric" VARCHAR(32) NOT NULL CHECK (metric '
                              "IN ('monthly_rent', 'area_sqm', 'tenure_months', "
                              "'paid_services_12m', 'contacts_12m', 'days_since_contact', "
                              "'callback_satisfaction', 'floor_survey_score', "
                              "'satisfaction_change', 'complaints_12m', 'escalations_12m', "
                              '\'rejected_results_12m\', \'lease_months_left\')), "operator" '
                              "VARCHAR(32) NOT NULL CHECK (operator IN ('>=', '>', '<=', '<', "
                              '\'==\')), "threshold" NUMERIC(12, 2) NOT NULL, "level" VARCHAR(20) '
                              'NOT NULL, "kinds" VARCHAR(100), "is_active" BOOLEAN NOT NULL, '
                              'FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE '
                              'SET NULL)',
                  'sqlite': 'CREATE TABLE IF NOT EXISTS "segment_rule" ("id" INTEGER NOT NULL '
                            'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME '
                            'NOT NULL, "created_by_id" INTEGER, "archived_at" DATETIME, '
                            '"archive_reason" TEXT, "version" INTEGER, "code" VARCHAR(40) NOT '
                            'NULL, "dimension" VARCHAR(32) NOT NULL CHECK (dimension IN '
                            '(\'value\', \'engagement\', \'satisfaction\', \'risk\')), "seq" '
                            'INTEGER NOT NULL, "metric" VARCHAR(32) NOT NULL CHECK (metric IN '
                            "('monthly_rent', 'area_sqm', 'tenure_months', 'paid_services_12m', "
                            "'contacts_12m', 'days_since_contact', 'callback_satisfaction', "
                            "'floor_survey_score', 'satisfaction_change', 'complaints_12m', "
                            "'escalations_12m', 'rejected_results_12m', 'lease_months_left')), "
                            '"operator" VARCHAR(32) NOT NULL CHECK (operator IN (\'>=\', \'>\', '
                            '\'<=\', \'<\', \'==\')), "threshold" DECIMAL(12, 2) NOT NULL, "level" '
                            'VARCHAR(20) NOT NULL, "kinds" VARCHAR(100), "is_active" INTEGER NOT '
                            'NULL, FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON '
                            'DELETE SET NULL)'},
 'setting': {'postgres': 'CREATE TABLE IF NOT EXISTS "setting" ("key" VARCHAR(50) NOT NULL PRIMARY '
                         'KEY, "value" TEXT)',
             'sqlite': 'CREATE TABLE IF NOT EXISTS "setting" ("key" VARCHAR(50) NOT NULL PRIMARY '
                       'KEY, "value" TEXT)'},
 'shift_handover': {'postgres': 'CREATE TABLE IF NOT EXISTS "shift_handover" ("id" SERIAL NOT NULL '
                                'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                                'TIMESTAMP NOT NULL, "created_by_id" INTEGER, "archived_at" '
                                'TIMESTAMP, "archive_reason" TEXT, "version" INTEGER, "number" '
                                'VARCHAR(20), "handed_by_id" INTEGER NOT NULL, "taken_by_id" '
                                'INTEGER NOT NULL, "period_from" TIMESTAMP NOT NULL, "period_to" '
                                'TIMESTAMP NOT NULL, "charge_count" INTEGER NOT NULL, "totals" '
                                'TEXT, "system_total" NUMERIC(12, 2) NOT NULL CHECK (system_total '
                                '>= 0), "system_cash" NUMERIC(12, 2) NOT NULL CHECK (system_cash '
                                '>= 0), "cash_counted" NUMERIC(12, 2) NOT NULL CHECK (cash_counted '
                                '>= 0), "difference" NUMERIC(12, 2) NOT NULL, "difference_reason" '
                                'TEXT, "deposits_taken" NUMERIC(12, 2) NOT NULL CHECK '
                                '(deposits_taken >= 0), "deposits_refunded" NUMERIC(12, 2) NOT '
                                'NULL CHECK (deposits_refunded >= 0), "loan_fees" NUMERIC(12, 2) '
                                'NOT NULL CHECK (loan_fees >= 0), "handed_signed_at" TIMESTAMP, '
                                '"taken_signed_at" TIMESTAMP, "finance_receiver" VARCHAR(50), '
                                '"finance_amount" NUMERIC(12, 2) CHECK (finance_amount >= 0), '
                                '"finance_received_at" TIMESTAMP, "finance_deadline" TIMESTAMP, '
                                '"status" VARCHAR(32) NOT NULL CHECK (status IN (\'signing\', '
                                '\'signed\', \'finance\')), FOREIGN KEY ("created_by_id") '
                                'REFERENCES "user" ("id") ON DELETE SET NULL, FOREIGN KEY '
                                '("handed_by_id") REFERENCES "user" ("id") ON DELETE RESTRICT, '
                                'FOREIGN KEY ("taken_by_id") REFERENCES "user" ("id") ON DELETE '
                                'RESTRICT)',
                    'sqlite': 'CREATE TABLE IF NOT EXISTS "shift_handover" ("id" INTEGER NOT NULL '
                              'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME '
                              'NOT NULL, "created_by_id" INTEGER, "archived_at" DATETIME, '
                              '"archive_reason" TEXT, "version" INTEGER, "number" VARCHAR(20), '
                              '"handed_by_id" INTEGER NOT NULL, "taken_by_id" INTEGER NOT NULL, '
                              '"period_from" DATETIME NOT NULL, "period_to" DATETIME NOT NULL, '
                              '"charge_count" INTEGER NOT NULL, "totals" TEXT, "system_total" '
                              'DECIMAL(12, 2) NOT NULL CHECK (system_total >= 0), "system_cash" '
                              'DECIMAL(12, 2) NOT NULL CHECK (system_cash >= 0), "cash_counted" '
                              'DECIMAL(12, 2) NOT NULL CHECK (cash_counted >= 0), "difference" '
                              'DECIMAL(12, 2) NOT NULL, "difference_reason" TEXT, "deposits_taken" '
                              'DECIMAL(12, 2) NOT NULL CHECK (deposits_taken >= 0), '
                              '"deposits_refunded" DECIMAL(12, 2) NOT NULL CHECK '
                              '(deposits_refunded >= 0), "loan_fees" DECIMAL(12, 2) NOT NULL CHECK '
                              '(loan_fees >= 0), "handed_signed_at" DATETIME, "taken_signed_at" '
                              'DATETIME, "finance_receiver" VARCHAR(50), "finance_amount" '
                              'DECIMAL(12, 2) CHECK (finance_amount >= 0), "finance_received_at" '
                              'DATETIME, "finance_deadline" DATETIME, "status" VARCHAR(32) NOT '
                              "NULL CHECK (status IN ('signing', 'signed', 'finance')), FOREIGN "
                              'KEY ("created_by_id") REFERENCES "user" ("id") ON DELETE SET NULL, '
                              'FOREIGN KEY ("handed_by_id") REFERENCES "user" ("id") ON DELETE '
                              'RESTRICT, FOREIGN KEY ("taken_by_id") REFERENCES "user" ("id") ON '
                              'DELETE RESTRICT)'},
 'survey_answer': {'postgres': 'CREATE TABLE IF NOT EXISTS "survey_answer" ("id" SERIAL NOT NULL '
                               'PRIMARY KEY, "created_at" TIMESTAMP NOT NULL, "updated_at" '
                               'TIMESTAMP NOT NULL, "response_id" INTEGER NOT NULL, "question_id" '
                               'INTEGER NOT NULL, "rating" INTEGER CHECK (rating BETWEEN 1 AND 5), '
                               '"text" TEXT, FOREIGN KEY ("response_id") REFERENCES '
                               '"survey_response" ("id") ON DELETE CASCADE, FOREIGN KEY '
                               '("question_id") REFERENCES "survey_question" ("id") ON DELETE '
                               'RESTRICT)',
                   'sqlite': 'CREATE TABLE IF NOT EXISTS "survey_answer" ("id" INTEGER NOT NULL '
                             'PRIMARY KEY, "created_at" DATETIME NOT NULL, "updated_at" DATETIME '
                             'NOT NULL, "response_id" INTEGER NOT NULL, "question_id" INTEGER NOT '
                             'NULL, "rating" INTEGER CHECK (rating BETWEEN 1 AND 5), "text" TEXT, '
                             'FOREIGN KEY ("response_id") REFERENCES "survey_response" ("id") ON '
                             'DELETE CASCADE, FOREIGN KEY ("question_id") REFERENCES '
                             '"survey_question" ("id") ON DELETE RESTRICT)'},
 'survey_distribution': {'postgres': 'CREATE TABLE IF NOT EXISTS "survey_distribution" ("id" '
                                     'SERIAL NOT NULL PRIMARY KEY, "created_at" TIMESTAMP NOT '
                                     'NULL, "updated_at" TIMESTAMP NOT NULL, "created_by_id" '
                                     'INTEGER, "archived_at" TIMESTAMP, "archive_reason" TEXT, '
                                     '"version" INTEGER, "survey_id" INTEGER NOT NULL, '
                                     '"customer_id" INTEGER NOT NULL, "token" VARCHAR(40) NOT '
                                     'NULL, "distributed_at" TIMESTAMP NOT NULL, '
                                     '"distributed_by_id" INTEGER, "responded_at" TIMESTAMP, '
                                     'FOREIGN KEY ("created_by_id") REFERENCES "user" ("id") ON '
                                     'DELETE SET NULL, FOREIGN KEY ("survey_id") REFERENCES '
                                     '"survey" ("id") ON DELETE RESTRICT, FOREIGN KEY '
                                     '("customer_id") REFERENCES "customer" ("id") ON DELETE '
                                     'RESTRICT, FOREIGN KEY ("distributed_by_id") REFERENCES '
                                     '"user" ("id") ON DELETE SET NULL)',
                         'sqlite': 'CREATE TABLE IF NOT EXISTS "survey_distribution" ("id" INTEGER '
                                   'NOT NULL PRIMARY KEY, "created_at" DATETIME NOT NULL, '
                                   '"updated_at" DATETIME NOT NULL, "created_by_id" INTEGER, '
                                   '"archived_at" DATETIME, "archive_reason" TEXT, "version" '
                                   'INTEGER, "survey_id" INTEGER NOT NULL, "customer_id" INTEGER '
                                   'NOT NULL, "token" VARCHAR(40) NOT NULL, "distributed_at" '
                                   'DATETIME NOT NULL, "distributed_by_id" INTEGER, "responded_at" '
                                   'DATETIME, FOREIGN KEY ("created_by_id") REFERENCES "user" '
                                   '("id") ON DELETE SET NULL, FOREIGN KEY ("survey_id") '
                                   'REFERENCES "survey" ("id") ON DELETE RESTRICT, FOREIGN KEY '
                                   '("customer_id") REFERENCES "customer" ("id") ON DELETE '
                                   'RESTRICT, FOREIGN KEY ("distributed_by_id") REFERENCES "user" '
                                   '("id") ON DELETE SET NULL)'}}

COLUMNS = {('action_item', 'outcome'): {'default': None,
                              'postgres': '"outcome" TEXT',
                              'sqlite': '"outcome" TEXT'},
 ('action_item', 'version'): {'default': 1,
                              'postgres': '"version" INTEGER',
                              'sqlite': '"version" INTEGER'},
 ('alert', 'mailed_level'): {'default': 0,
                             'postgres': '"mailed_level" INTEGER NOT NULL DEFAULT 0',
                             'sqlite': '"mailed_level" INTEGER NOT NULL DEFAULT 0'},
 ('alert', 'version'): {'default': 1,
                        'postgres': '"version" INTEGER',
                        'sqlite': '"version" INTEGER'},
 ('audit_log', 'prev_hash'): {'default': None,
                              'postgres': '"prev_hash" VARCHAR(64)',
                              'sqlite': '"prev_hash" VARCHAR(64)'},
 ('audit_log', 'row_hash'): {'default': None,
                             'postgres': '"row_hash" VARCHAR(64)',
                             'sqlite': '"row_hash" VARCHAR(64)'},
 ('calendar_day', 'version'): {'default': 1,
                               'postgres': '"version" INTEGER',
                               'sqlite': '"version" INTEGER'},
 ('callback', 'version'): {'default': 1,
                           'postgres': '"version" INTEGER',
                           'sqlite': '"version" INTEGER'},
 ('charge', 'finance_deadline'): {'default': None,
                                  'postgres': '"finance_deadline" TIMESTAMP',
                                  'sqlite': '"finance_deadline" DATETIME'},
 ('charge', 'handover_id'): {'default': None,
                             'postgres': '"handover_id" INTEGER REFERENCES "shift_handover" ("id") '
                                         'ON DELETE RESTRICT',
                             'sqlite': '"handover_id" INTEGER REFERENCES "shift_handover" ("id") '
                                       'ON DELETE RESTRICT'},
 ('charge', 'version'): {'default': 1,
                         'postgres': '"version" INTEGER',
                         'sqlite': '"version" INTEGER'},
 ('charge', 'void_reason'): {'default': None,
                             'postgres': '"void_reason" TEXT',
                             'sqlite': '"void_reason" TEXT'},
 ('complaint', 'callback_deadline'): {'default': None,
                                      'postgres': '"callback_deadline" TIMESTAMP',
                                      'sqlite': '"callback_deadline" DATETIME'},
 ('complaint', 'follow_up_from'): {'default': None,
                                   'postgres': '"follow_up_from" TIMESTAMP',
                                   'sqlite': '"follow_up_from" DATETIME'},
 ('complaint', 'on_hold_since'): {'default': None,
                                  'postgres': '"on_hold_since" TIMESTAMP',
                                  'sqlite': '"on_hold_since" DATETIME'},
 ('complaint', 'scope_checked'): {'default': None,
                                  'postgres': '"scope_checked" TEXT',
                                  'sqlite': '"scope_checked" TEXT'},
 ('complaint', 'version'): {'default': 1,
                            'postgres': '"version" INTEGER',
                            'sqlite': '"version" INTEGER'},
 ('complaint_guideline', 'version'): {'default': 1,
                                      'postgres': '"version" INTEGER',
                                      'sqlite': '"version" INTEGER'},
 ('complaint_report', 'version'): {'default': 1,
                                   'postgres': '"version" INTEGER',
                                   'sqlite': '"version" INTEGER'},
 ('complaint_update', 'version'): {'default': 1,
                                   'postgres': '"version" INTEGER',
                                   'sqlite': '"version" INTEGER'},
 ('contact', 'answer'): {'default': None, 'postgres': '"answer" TEXT', 'sqlite': '"answer" TEXT'},
 ('contact', 'answer_deadline'): {'default': None,
                                  'postgres': '"answer_deadline" TIMESTAMP',
                                  'sqlite': '"answer_deadline" DATETIME'},
 ('contact', 'answer_method'): {'default': None,
                                'postgres': '"answer_method" VARCHAR(32) CHECK (answer_method IN '
                                            "('phone', 'visit', 'letter', 'email', 'sms'))",
                                'sqlite': '"answer_method" VARCHAR(32) CHECK (answer_method IN '
                                          "('phone', 'visit', 'letter', 'email', 'sms'))"},
 ('contact', 'answered_at'): {'default': None,
                              'postgres': '"answered_at" TIMESTAMP',
                              'sqlite': '"answered_at" DATETIME'},
 ('contact', 'answered_by_id'): {'default': None,
                                 'postgres': '"answered_by_id" INTEGER REFERENCES "user" ("id") ON '
                                             'DELETE SET NULL',
                                 'sqlite': '"answered_by_id" INTEGER REFERENCES "user" ("id") ON '
                                           'DELETE SET NULL'},
 ('contact', 'version'): {'default': 1,
                          'postgres': '"version" INTEGER',
                          'sqlite': '"version" INTEGER'},
 ('corrective_action', 'done_note'): {'default': None,
                                      'postgres': '"done_note" TEXT',
                                      'sqlite': '"done_note" TEXT'},
 ('corrective_action', 'question_id'): {'default': None,
                                        'postgres': '"question_id" INTEGER REFERENCES '
                                                    '"survey_question" ("id") ON DELETE RESTRICT',
                                        'sqlite': '"question_id" INTEGER REFERENCES '
                                                  '"survey_question" ("id") ON DELETE RESTRICT'},
 ('corrective_action', 'version'): {'default': 1,
                                    'postgres': '"version" INTEGER',
                                    'sqlite': '"version" INTEGER'},
 ('customer', 'cadence_contact_at'): {'default': None,
                                      'postgres': '"cadence_contact_at" TIMESTAMP',
                                      'sqlite': '"cadence_contact_at" DATETIME'},
 ('customer', 'engagement_segment'): {'default': None,
                                      'postgres': '"engagement_segment" VARCHAR(20)',
                                      'sqlite': '"engagement_segment" VARCHAR(20)'},
 ('customer', 'last_contact_at'): {'default': None,
                                   'postgres': '"last_contact_at" TIMESTAMP',
                                   'sqlite': '"last_contact_at" DATETIME'},
 ('customer', 'risk_segment'): {'default': None,
                                'postgres': '"risk_segment" VARCHAR(20)',
                                'sqlite': '"risk_segment" VARCHAR(20)'},
 ('customer', 'satisfaction_segment'): {'default': None,
                                        'postgres': '"satisfaction_segment" VARCHAR(20)',
                                        'sqlite': '"satisfaction_segment" VARCHAR(20)'},
 ('customer', 'segment_reasons'): {'default': None,
                                   'postgres': '"segment_reasons" TEXT',
                                   'sqlite': '"segment_reasons" TEXT'},
 ('customer', 'segmented_at'): {'default': None,
                                'postgres': '"segmented_at" TIMESTAMP',
                                'sqlite': '"segmented_at" DATETIME'},
 ('customer', 'value_segment'): {'default': None,
                                 'postgres': '"value_segment" VARCHAR(20)',
                                 'sqlite': '"value_segment" VARCHAR(20)'},
 ('customer', 'version'): {'default': 1,
                           'postgres': '"version" INTEGER',
                           'sqlite': '"version" INTEGER'},
 ('deadline', 'level2_at'): {'default': None,
                             'postgres': '"level2_at" TIMESTAMP',
                             'sqlite': '"level2_at" DATETIME'},
 ('deadline', 'level3_at'): {'default': None,
                             'postgres': '"level3_at" TIMESTAMP',
                             'sqlite': '"level3_at" DATETIME'},
 ('deadline', 'level4_at'): {'default': None,
                             'postgres': '"level4_at" TIMESTAMP',
                             'sqlite': '"level4_at" DATETIME'},
 ('deadline', 'version'): {'default': 1,
                           'postgres': '"version" INTEGER',
                           'sqlite': '"version" INTEGER'},
 ('fee_item', 'version'): {'default': 1,
                           'postgres': '"version" INTEGER',
                           'sqlite': '"version" INTEGER'},
 ('hold', 'version'): {'default': 1,
                       'postgres': '"version" INTEGER',
                       'sqlite': '"version" INTEGER'},
 ('item_loan', 'fee_charge_id'): {'default': None,
                                  'postgres': '"fee_charge_id" INTEGER REFERENCES "charge" ("id") '
                                              'ON DELETE RESTRICT',
                                  'sqlite': '"fee_charge_id" INTEGER REFERENCES "charge" ("id") ON '
                                            'DELETE RESTRICT'},
 ('item_loan', 'issued_by_id'): {'default': None,
                                 'postgres': '"issued_by_id" INTEGER REFERENCES "user" ("id") ON '
                                             'DELETE SET NULL',
                                 'sqlite': '"issued_by_id" INTEGER REFERENCES "user" ("id") ON '
                                           'DELETE SET NULL'},
 ('item_loan', 'refunded_by_id'): {'default': None,
                                   'postgres': '"refunded_by_id" INTEGER REFERENCES "user" ("id") '
                                               'ON DELETE SET NULL',
                                   'sqlite': '"refunded_by_id" INTEGER REFERENCES "user" ("id") ON '
                                             'DELETE SET NULL'},
 ('item_loan', 'returned_to_id'): {'default': None,
                                   'postgres': '"returned_to_id" INTEGER REFERENCES "user" ("id") '
                                               'ON DELETE SET NULL',
                                   'sqlite': '"returned_to_id" INTEGER REFERENCES "user" ("id") ON '
                                             'DELETE SET NULL'},
 ('item_loan', 'version'): {'default': 1,
                            'postgres': '"version" INTEGER',
                            'sqlite': '"version" INTEGER'},
 ('lendable_item', 'version'): {'default': 1,
                                'postgres': '"version" INTEGER',
                                'sqlite': '"version" INTEGER'},
 ('meeting', 'version'): {'default': 1,
                          'postgres': '"version" INTEGER',
                          'sqlite': '"version" INTEGER'},
 ('notice', 'confirm_deadline'): {'default': None,
                                  'postgres': '"confirm_deadline" TIMESTAMP',
                                  'sqlite': '"confirm_deadline" DATETIME'},
 ('notice', 'version'): {'default': 1,
                         'postgres': '"version" INTEGER',
                         'sqlite': '"version" INTEGER'},
 ('notice_receipt', 'version'): {'default': 1,
                                 'postgres': '"version" INTEGER',
                                 'sqlite': '"version" INTEGER'},
 ('repair_order', 'callback_deadline'): {'default': None,
                                         'postgres': '"callback_deadline" TIMESTAMP',
                                         'sqlite': '"callback_deadline" DATETIME'},
 ('repair_order', 'category'): {'default': 'other',
                                'postgres': '"category" VARCHAR(32) NOT NULL CHECK (category IN '
                                            "('utilities', 'hvac', 'equipment', 'civil', 'other'))",
                                'sqlite': '"category" VARCHAR(32) NOT NULL CHECK (category IN '
                                          "('utilities', 'hvac', 'equipment', 'civil', 'other'))"},
 ('repair_order', 'complete_deadline'): {'default': None,
                                         'postgres': '"complete_deadline" TIMESTAMP',
                                         'sqlite': '"complete_deadline" DATETIME'},
 ('repair_order', 'on_hold_since'): {'default': None,
                                     'postgres': '"on_hold_since" TIMESTAMP',
                                     'sqlite': '"on_hold_since" DATETIME'},
 ('repair_order', 'version'): {'default': 1,
                               'postgres': '"version" INTEGER',
                               'sqlite': '"version" INTEGER'},
 ('service_request', 'approved'): {'default': None,
                                   'postgres': '"approved" BOOLEAN',
                                   'sqlite': '"approved" INTEGER'},
 ('service_request', 'on_hold_since'): {'default': None,
                                        'postgres': '"on_hold_since" TIMESTAMP',
                                        'sqlite': '"on_hold_since" DATETIME'},
 ('service_request', 'version'): {'default': 1,
                                  'postgres': '"version" INTEGER',
                                  'sqlite': '"version" INTEGER'},
 ('sla_rule', 'version'): {'default': 1,
                           'postgres': '"version" INTEGER',
                           'sqlite': '"version" INTEGER'},
 ('survey', 'approve_deadline'): {'default': None,
                                  'postgres': '"approve_deadline" TIMESTAMP',
                                  'sqlite': '"approve_deadline" DATETIME'},
 ('survey', 'closed_at'): {'default': None,
                           'postgres': '"closed_at" TIMESTAMP',
                           'sqlite': '"closed_at" DATETIME'},
 ('survey', 'filed_at'): {'default': None,
                          'postgres': '"filed_at" TIMESTAMP',
                          'sqlite': '"filed_at" DATETIME'},
 ('survey', 'filing_deadline'): {'default': None,
                                 'postgres': '"filing_deadline" TIMESTAMP',
                                 'sqlite': '"filing_deadline" DATETIME'},
 ('survey', 'paper_copies'): {'default': 0,
                              'postgres': '"paper_copies" INTEGER',
                              'sqlite': '"paper_copies" INTEGER'},
 ('survey', 'sample_size'): {'default': None,
                             'postgres': '"sample_size" INTEGER',
                             'sqlite': '"sample_size" INTEGER'},
 ('survey', 'training_deadline'): {'default': None,
                                   'postgres': '"training_deadline" TIMESTAMP',
                                   'sqlite': '"training_deadline" DATETIME'},
 ('survey', 'training_note'): {'default': None,
                               'postgres': '"training_note" TEXT',
                               'sqlite': '"training_note" TEXT'},
 ('survey', 'version'): {'default': 1,
                         'postgres': '"version" INTEGER',
                         'sqlite': '"version" INTEGER'},
 ('survey_distribution', 'version'): {'default': 1,
                                      'postgres': '"version" INTEGER',
                                      'sqlite': '"version" INTEGER'},
 ('survey_question', 'department_id'): {'default': None,
                                        'postgres': '"department_id" INTEGER REFERENCES '
                                                    '"department" ("id") ON DELETE RESTRICT',
                                        'sqlite': '"department_id" INTEGER REFERENCES "department" '
                                                  '("id") ON DELETE RESTRICT'},
 ('survey_question', 'template'): {'default': None,
                                   'postgres': '"template" VARCHAR(50)',
                                   'sqlite': '"template" VARCHAR(50)'},
 ('survey_question', 'version'): {'default': 1,
                                  'postgres': '"version" INTEGER',
                                  'sqlite': '"version" INTEGER'},
 ('survey_response', 'area'): {'default': None,
                               'postgres': '"area" VARCHAR(20)',
                               'sqlite': '"area" VARCHAR(20)'},
 ('survey_response', 'distribution_id'): {'default': None,
                                          'postgres': '"distribution_id" INTEGER REFERENCES '
                                                      '"survey_distribution" ("id") ON DELETE '
                                                      'RESTRICT',
                                          'sqlite': '"distribution_id" INTEGER REFERENCES '
                                                    '"survey_distribution" ("id") ON DELETE '
                                                    'RESTRICT'},
 ('survey_response', 'respondent_kind'): {'default': None,
                                          'postgres': '"respondent_kind" VARCHAR(32) CHECK '
                                                      "(respondent_kind IN ('tenant', 'anchor', "
                                                      "'consumer', 'owners_committee', "
                                                      "'merchants_committee'))",
                                          'sqlite': '"respondent_kind" VARCHAR(32) CHECK '
                                                    "(respondent_kind IN ('tenant', 'anchor', "
                                                    "'consumer', 'owners_committee', "
                                                    "'merchants_committee'))"},
 ('survey_response', 'version'): {'default': 1,
                                  'postgres': '"version" INTEGER',
                                  'sqlite': '"version" INTEGER'},
 ('user', 'session_epoch'): {'default': 0,
                             'postgres': '"session_epoch" INTEGER NOT NULL',
                             'sqlite': '"session_epoch" INTEGER NOT NULL'},
 ('work_letter', 'version'): {'default': 1,
                              'postgres': '"version" INTEGER',
                              'sqlite': '"version" INTEGER'}}

INDEXES = {'action_item': [(('created_at',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "action_item_created_at" ON '
                               '"action_item" ("created_at")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "action_item_created_at" ON "action_item" '
                             '("created_at")'}),
                 (('created_by_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "action_item_created_by_id" ON '
                               '"action_item" ("created_by_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "action_item_created_by_id" ON '
                             '"action_item" ("created_by_id")'}),
                 (('meeting_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "action_item_meeting_id" ON '
                               '"action_item" ("meeting_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "action_item_meeting_id" ON "action_item" '
                             '("meeting_id")'}),
                 (('department_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "action_item_department_id" ON '
                               '"action_item" ("department_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "action_item_department_id" ON '
                             '"action_item" ("department_id")'}),
                 (('owner_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "action_item_owner_id" ON "action_item" '
                               '("owner_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "action_item_owner_id" ON "action_item" '
                             '("owner_id")'}),
                 (('status', 'due_date'),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "action_item_status_due_date" ON '
                               '"action_item" ("status", "due_date")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "action_item_status_due_date" ON '
                             '"action_item" ("status", "due_date")'})],
 'alert': [(('created_at',),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_created_at" ON "alert" ("created_at")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_created_at" ON "alert" ("created_at")'}),
           (('created_by_id',),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_created_by_id" ON "alert" '
                         '("created_by_id")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_created_by_id" ON "alert" '
                       '("created_by_id")'}),
           (('department_id',),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_department_id" ON "alert" '
                         '("department_id")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_department_id" ON "alert" '
                       '("department_id")'}),
           (('assignee_id',),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_assignee_id" ON "alert" '
                         '("assignee_id")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_assignee_id" ON "alert" '
                       '("assignee_id")'}),
           (('resolved_by_id',),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_resolved_by_id" ON "alert" '
                         '("resolved_by_id")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_resolved_by_id" ON "alert" '
                       '("resolved_by_id")'}),
           (('record_type', 'record_id', 'rule_id', 'kind', 'status', 'since'),
            {'postgres': 'CREATE INDEX IF NOT EXISTS '
                         '"alert_record_type_record_id_rule_id_kind_status_since" ON "alert" '
                         '("record_type", "record_id", "rule_id", "kind", "status", "since")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS '
                       '"alert_record_type_record_id_rule_id_kind_status_since" ON "alert" '
                       '("record_type", "record_id", "rule_id", "kind", "status", "since")'}),
           (('status', 'kind', 'record_type', 'record_id', 'rule_id', 'level'),
            {'postgres': 'CREATE INDEX IF NOT EXISTS '
                         '"alert_status_kind_record_type_record_id_rule_id_level" ON "alert" '
                         '("status", "kind", "record_type", "record_id", "rule_id", "level")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS '
                       '"alert_status_kind_record_type_record_id_rule_id_level" ON "alert" '
                       '("status", "kind", "record_type", "record_id", "rule_id", "level")'}),
           (('status', 'since'),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_status_since" ON "alert" ("status", '
                         '"since")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_status_since" ON "alert" ("status", '
                       '"since")'}),
           (('since',),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_since" ON "alert" ("since")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_since" ON "alert" ("since")'}),
           (('status', 'assignee_id', 'level', 'since', 'id'),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_status_assignee_id_priority" ON '
                         '"alert" ("status", "assignee_id", "level" DESC, "since", "id")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_status_assignee_id_priority" ON "alert" '
                       '("status", "assignee_id", "level" DESC, "since", "id")'}),
           (('status', 'department_id', 'level', 'since', 'id'),
            {'postgres': 'CREATE INDEX IF NOT EXISTS "alert_status_department_id_priority" ON '
                         '"alert" ("status", "department_id", "level" DESC, "since", "id")',
             'sqlite': 'CREATE INDEX IF NOT EXISTS "alert_status_department_id_priority" ON '
                       '"alert" ("status", "department_id", "level" DESC, "since", "id")'})],
 'audit_log': [(('created_at',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "audit_log_created_at" ON "audit_log" '
                             '("created_at")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "audit_log_created_at" ON "audit_log" '
                           '("created_at")'}),
               (('user_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "audit_log_user_id" ON "audit_log" '
                             '("user_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "audit_log_user_id" ON "audit_log" '
                           '("user_id")'}),
               (('action',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "audit_log_action" ON "audit_log" '
                             '("action")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "audit_log_action" ON "audit_log" '
                           '("action")'}),
               (('model', 'record_id'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "audit_log_model_record_id" ON '
                             '"audit_log" ("model", "record_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "audit_log_model_record_id" ON "audit_log" '
                           '("model", "record_id")'})],
 'calendar_day': [(('created_at',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "calendar_day_created_at" ON '
                                '"calendar_day" ("created_at")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "calendar_day_created_at" ON '
                              '"calendar_day" ("created_at")'}),
                  (('created_by_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "calendar_day_created_by_id" ON '
                                '"calendar_day" ("created_by_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "calendar_day_created_by_id" ON '
                              '"calendar_day" ("created_by_id")'}),
                  (('day',),
                   {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "calendar_day_day" ON '
                                '"calendar_day" ("day")',
                    'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "calendar_day_day" ON '
                              '"calendar_day" ("day")'})],
 'calendar_year': [(('created_at',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "calendar_year_created_at" ON '
                                 '"calendar_year" ("created_at")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "calendar_year_created_at" ON '
                               '"calendar_year" ("created_at")'}),
                   (('year',),
                    {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "calendar_year_year" ON '
                                 '"calendar_year" ("year")',
                     'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "calendar_year_year" ON '
                               '"calendar_year" ("year")'}),
                   (('confirmed_by_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "calendar_year_confirmed_by_id" ON '
                                 '"calendar_year" ("confirmed_by_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "calendar_year_confirmed_by_id" ON '
                               '"calendar_year" ("confirmed_by_id")'})],
 'call_script': [(('created_at',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "call_script_created_at" ON '
                               '"call_script" ("created_at")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "call_script_created_at" ON "call_script" '
                             '("created_at")'}),
                 (('created_by_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "call_script_created_by_id" ON '
                               '"call_script" ("created_by_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "call_script_created_by_id" ON '
                             '"call_script" ("created_by_id")'}),
                 (('department_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "call_script_department_id" ON '
                               '"call_script" ("department_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "call_script_department_id" ON '
                             '"call_script" ("department_id")'}),
                 (('owner_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "call_script_owner_id" ON "call_script" '
                               '("owner_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "call_script_owner_id" ON "call_script" '
                             '("owner_id")'}),
                 (('trigger', 'seq'),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "call_script_trigger_seq" ON '
                               '"call_script" ("trigger", "seq")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "call_script_trigger_seq" ON '
                             '"call_script" ("trigger", "seq")'})],
 'callback': [(('created_at',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "callback_created_at" ON "callback" '
                            '("created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "callback_created_at" ON "callback" '
                          '("created_at")'}),
              (('created_by_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "callback_created_by_id" ON "callback" '
                            '("created_by_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "callback_created_by_id" ON "callback" '
                          '("created_by_id")'}),
              (('number',),
               {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "callback_number" ON "callback" '
                            '("number")',
                'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "callback_number" ON "callback" '
                          '("number")'}),
              (('repair_order_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "callback_repair_order_id" ON "callback" '
                            '("repair_order_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "callback_repair_order_id" ON "callback" '
                          '("repair_order_id")'}),
              (('complaint_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "callback_complaint_id" ON "callback" '
                            '("complaint_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "callback_complaint_id" ON "callback" '
                          '("complaint_id")'}),
              (('called_by_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "callback_called_by_id" ON "callback" '
                            '("called_by_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "callback_called_by_id" ON "callback" '
                          '("called_by_id")'})],
 'charge': [(('created_at',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_created_at" ON "charge" '
                          '("created_at")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_created_at" ON "charge" '
                        '("created_at")'}),
            (('created_by_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_created_by_id" ON "charge" '
                          '("created_by_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_created_by_id" ON "charge" '
                        '("created_by_id")'}),
            (('number',),
             {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "charge_number" ON "charge" '
                          '("number")',
              'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "charge_number" ON "charge" '
                        '("number")'}),
            (('customer_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_customer_id" ON "charge" '
                          '("customer_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_customer_id" ON "charge" '
                        '("customer_id")'}),
            (('fee_item_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_fee_item_id" ON "charge" '
                          '("fee_item_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_fee_item_id" ON "charge" '
                        '("fee_item_id")'}),
            (('charged_by_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_charged_by_id" ON "charge" '
                          '("charged_by_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_charged_by_id" ON "charge" '
                        '("charged_by_id")'}),
            (('handover_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_handover_id" ON "charge" '
                          '("handover_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_handover_id" ON "charge" '
                        '("handover_id")'}),
            (('status', 'charged_at'),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_status_charged_at" ON "charge" '
                          '("status", "charged_at")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_status_charged_at" ON "charge" '
                        '("status", "charged_at")'}),
            (('status', 'finance_deadline'),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_status_finance_deadline" ON "charge" '
                          '("status", "finance_deadline")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_status_finance_deadline" ON "charge" '
                        '("status", "finance_deadline")'}),
            (('status', 'archived_at', 'finance_deadline'),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "charge_status_archived_at_finance_deadline" '
                          'ON "charge" ("status", "archived_at", "finance_deadline")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "charge_status_archived_at_finance_deadline" '
                        'ON "charge" ("status", "archived_at", "finance_deadline")'})],
 'complaint': [(('created_at',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_created_at" ON "complaint" '
                             '("created_at")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_created_at" ON "complaint" '
                           '("created_at")'}),
               (('created_by_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_created_by_id" ON "complaint" '
                             '("created_by_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_created_by_id" ON "complaint" '
                           '("created_by_id")'}),
               (('number',),
                {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "complaint_number" ON "complaint" '
                             '("number")',
                 'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "complaint_number" ON "complaint" '
                           '("number")'}),
               (('contact_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_contact_id" ON "complaint" '
                             '("contact_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_contact_id" ON "complaint" '
                           '("contact_id")'}),
               (('customer_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_customer_id" ON "complaint" '
                             '("customer_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_customer_id" ON "complaint" '
                           '("customer_id")'}),
               (('complainant_phone',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_complainant_phone" ON '
                             '"complaint" ("complainant_phone")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_complainant_phone" ON '
                           '"complaint" ("complainant_phone")'}),
               (('department_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_department_id" ON "complaint" '
                             '("department_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_department_id" ON "complaint" '
                           '("department_id")'}),
               (('owner_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_owner_id" ON "complaint" '
                             '("owner_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_owner_id" ON "complaint" '
                           '("owner_id")'}),
               (('status', 'resolve_deadline', 'on_hold_since'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS '
                             '"complaint_status_resolve_deadline_on_hold_since" ON "complaint" '
                             '("status", "resolve_deadline", "on_hold_since")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS '
                           '"complaint_status_resolve_deadline_on_hold_since" ON "complaint" '
                           '("status", "resolve_deadline", "on_hold_since")'}),
               (('status', 'start_deadline', 'on_hold_since'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS '
                             '"complaint_status_start_deadline_on_hold_since" ON "complaint" '
                             '("status", "start_deadline", "on_hold_since")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS '
                           '"complaint_status_start_deadline_on_hold_since" ON "complaint" '
                           '("status", "start_deadline", "on_hold_since")'}),
               (('status', 'callback_deadline', 'on_hold_since'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS '
                             '"complaint_status_callback_deadline_on_hold_since" ON "complaint" '
                             '("status", "callback_deadline", "on_hold_since")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS '
                           '"complaint_status_callback_deadline_on_hold_since" ON "complaint" '
                           '("status", "callback_deadline", "on_hold_since")'}),
               (('status',
                 'archived_at',
                 'department_id',
                 'on_hold_since',
                 'start_deadline',
                 'resolve_deadline',
                 'callback_deadline'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS '
                             '"complaint_status_archived_at_department_id_on_hold_since_667feb5" '
                             'ON "complaint" ("status", "archived_at", "department_id", '
                             '"on_hold_since", "start_deadline", "resolve_deadline", '
                             '"callback_deadline")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS '
                           '"complaint_status_archived_at_department_id_on_hold_since_667feb5" ON '
                           '"complaint" ("status", "archived_at", "department_id", '
                           '"on_hold_since", "start_deadline", "resolve_deadline", '
                           '"callback_deadline")'}),
               (('status', 'archived_at', 'on_hold_since', 'follow_up_from'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS '
                             '"complaint_status_archived_at_on_hold_since_follow_up_from" ON '
                             '"complaint" ("status", "archived_at", "on_hold_since", '
                             '"follow_up_from")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS '
                           '"complaint_status_archived_at_on_hold_since_follow_up_from" ON '
                           '"complaint" ("status", "archived_at", "on_hold_since", '
                           '"follow_up_from")'})],
 'complaint_guideline': [(('created_at',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                       '"complaint_guideline_created_at" ON "complaint_guideline" '
                                       '("created_at")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_guideline_created_at" '
                                     'ON "complaint_guideline" ("created_at")'}),
                         (('created_by_id',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                       '"complaint_guideline_created_by_id" ON '
                                       '"complaint_guideline" ("created_by_id")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                     '"complaint_guideline_created_by_id" ON "complaint_guideline" '
                                     '("created_by_id")'})],
 'complaint_pass_on': [(('created_at',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_created_at" ON '
                                     '"complaint_pass_on" ("created_at")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_created_at" ON '
                                   '"complaint_pass_on" ("created_at")'}),
                       (('created_by_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_created_by_id" '
                                     'ON "complaint_pass_on" ("created_by_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_created_by_id" '
                                   'ON "complaint_pass_on" ("created_by_id")'}),
                       (('number',),
                        {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "complaint_pass_on_number" '
                                     'ON "complaint_pass_on" ("number")',
                         'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "complaint_pass_on_number" '
                                   'ON "complaint_pass_on" ("number")'}),
                       (('customer_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_customer_id" '
                                     'ON "complaint_pass_on" ("customer_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_customer_id" ON '
                                   '"complaint_pass_on" ("customer_id")'}),
                       (('received_by_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                     '"complaint_pass_on_received_by_id" ON "complaint_pass_on" '
                                     '("received_by_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_received_by_id" '
                                   'ON "complaint_pass_on" ("received_by_id")'}),
                       (('department_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_department_id" '
                                     'ON "complaint_pass_on" ("department_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_department_id" '
                                   'ON "complaint_pass_on" ("department_id")'}),
                       (('registered_by_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                     '"complaint_pass_on_registered_by_id" ON "complaint_pass_on" '
                                     '("registered_by_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                   '"complaint_pass_on_registered_by_id" ON "complaint_pass_on" '
                                   '("registered_by_id")'}),
                       (('contact_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_contact_id" ON '
                                     '"complaint_pass_on" ("contact_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_contact_id" ON '
                                   '"complaint_pass_on" ("contact_id")'}),
                       (('complaint_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_complaint_id" '
                                     'ON "complaint_pass_on" ("complaint_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_pass_on_complaint_id" ON '
                                   '"complaint_pass_on" ("complaint_id")'}),
                       (('status', 'register_deadline'),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                     '"complaint_pass_on_status_register_deadline" ON '
                                     '"complaint_pass_on" ("status", "register_deadline")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                   '"complaint_pass_on_status_register_deadline" ON '
                                   '"complaint_pass_on" ("status", "register_deadline")'})],
 'complaint_report': [(('created_at',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_report_created_at" ON '
                                    '"complaint_report" ("created_at")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_report_created_at" ON '
                                  '"complaint_report" ("created_at")'}),
                      (('created_by_id',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_report_created_by_id" '
                                    'ON "complaint_report" ("created_by_id")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_report_created_by_id" ON '
                                  '"complaint_report" ("created_by_id")'}),
                      (('month',),
                       {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "complaint_report_month" ON '
                                    '"complaint_report" ("month")',
                        'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "complaint_report_month" ON '
                                  '"complaint_report" ("month")'})],
 'complaint_update': [(('created_at',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_update_created_at" ON '
                                    '"complaint_update" ("created_at")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_update_created_at" ON '
                                  '"complaint_update" ("created_at")'}),
                      (('created_by_id',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_update_created_by_id" '
                                    'ON "complaint_update" ("created_by_id")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_update_created_by_id" ON '
                                  '"complaint_update" ("created_by_id")'}),
                      (('by_user_id',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "complaint_update_by_user_id" ON '
                                    '"complaint_update" ("by_user_id")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "complaint_update_by_user_id" ON '
                                  '"complaint_update" ("by_user_id")'}),
                      (('complaint_id', 'happened_at', 'kind'),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                    '"complaint_update_complaint_id_happened_at_kind" ON '
                                    '"complaint_update" ("complaint_id", "happened_at", "kind")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                  '"complaint_update_complaint_id_happened_at_kind" ON '
                                  '"complaint_update" ("complaint_id", "happened_at", "kind")'})],
 'contact': [(('created_at',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_created_at" ON "contact" '
                           '("created_at")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_created_at" ON "contact" '
                         '("created_at")'}),
             (('created_by_id',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_created_by_id" ON "contact" '
                           '("created_by_id")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_created_by_id" ON "contact" '
                         '("created_by_id")'}),
             (('number',),
              {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "contact_number" ON "contact" '
                           '("number")',
               'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "contact_number" ON "contact" '
                         '("number")'}),
             (('phone',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_phone" ON "contact" ("phone")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_phone" ON "contact" ("phone")'}),
             (('received_by_id',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_received_by_id" ON "contact" '
                           '("received_by_id")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_received_by_id" ON "contact" '
                         '("received_by_id")'}),
             (('department_id',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_department_id" ON "contact" '
                           '("department_id")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_department_id" ON "contact" '
                         '("department_id")'}),
             (('answered_by_id',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_answered_by_id" ON "contact" '
                           '("answered_by_id")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_answered_by_id" ON "contact" '
                         '("answered_by_id")'}),
             (('status', 'received_at'),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_status_received_at" ON "contact" '
                           '("status", "received_at")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_status_received_at" ON "contact" '
                         '("status", "received_at")'}),
             (('customer_id', 'archived_at', 'received_at'),
              {'postgres': 'CREATE INDEX IF NOT EXISTS '
                           '"contact_customer_id_archived_at_received_at" ON "contact" '
                           '("customer_id", "archived_at", "received_at")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_customer_id_archived_at_received_at" '
                         'ON "contact" ("customer_id", "archived_at", "received_at")'}),
             (('status', 'answer_deadline'),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "contact_status_answer_deadline" ON '
                           '"contact" ("status", "answer_deadline")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "contact_status_answer_deadline" ON "contact" '
                         '("status", "answer_deadline")'})],
 'corrective_action': [(('created_at',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "corrective_action_created_at" ON '
                                     '"corrective_action" ("created_at")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_created_at" ON '
                                   '"corrective_action" ("created_at")'}),
                       (('created_by_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "corrective_action_created_by_id" '
                                     'ON "corrective_action" ("created_by_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_created_by_id" '
                                   'ON "corrective_action" ("created_by_id")'}),
                       (('number',),
                        {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "corrective_action_number" '
                                     'ON "corrective_action" ("number")',
                         'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "corrective_action_number" '
                                   'ON "corrective_action" ("number")'}),
                       (('survey_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "corrective_action_survey_id" ON '
                                     '"corrective_action" ("survey_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_survey_id" ON '
                                   '"corrective_action" ("survey_id")'}),
                       (('question_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "corrective_action_question_id" '
                                     'ON "corrective_action" ("question_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_question_id" ON '
                                   '"corrective_action" ("question_id")'}),
                       (('department_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS "corrective_action_department_id" '
                                     'ON "corrective_action" ("department_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_department_id" '
                                   'ON "corrective_action" ("department_id")'}),
                       (('verified_by_id',),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                     '"corrective_action_verified_by_id" ON "corrective_action" '
                                     '("verified_by_id")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_verified_by_id" '
                                   'ON "corrective_action" ("verified_by_id")'}),
                       (('status', 'due_date'),
                        {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                     '"corrective_action_status_due_date" ON "corrective_action" '
                                     '("status", "due_date")',
                         'sqlite': 'CREATE INDEX IF NOT EXISTS "corrective_action_status_due_date" '
                                   'ON "corrective_action" ("status", "due_date")'})],
 'customer': [(('created_at',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_created_at" ON "customer" '
                            '("created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_created_at" ON "customer" '
                          '("created_at")'}),
              (('created_by_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_created_by_id" ON "customer" '
                            '("created_by_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_created_by_id" ON "customer" '
                          '("created_by_id")'}),
              (('name',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_name" ON "customer" ("name")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_name" ON "customer" ("name")'}),
              (('shop_no',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_shop_no" ON "customer" '
                            '("shop_no")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_shop_no" ON "customer" '
                          '("shop_no")'}),
              (('phone',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_phone" ON "customer" ("phone")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_phone" ON "customer" ("phone")'}),
              (('phone2',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_phone2" ON "customer" ("phone2")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_phone2" ON "customer" ("phone2")'}),
              (('kind', 'status', 'archived_at', 'last_contact_at', 'created_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS '
                            '"customer_kind_status_archived_at_last_contact_at_created_at" ON '
                            '"customer" ("kind", "status", "archived_at", "last_contact_at", '
                            '"created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS '
                          '"customer_kind_status_archived_at_last_contact_at_created_at" ON '
                          '"customer" ("kind", "status", "archived_at", "last_contact_at", '
                          '"created_at")'}),
              (('kind', 'last_contact_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "customer_kind_last_contact_at" ON '
                            '"customer" ("kind", "last_contact_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "customer_kind_last_contact_at" ON '
                          '"customer" ("kind", "last_contact_at")'}),
              (('kind', 'status', 'archived_at', 'cadence_contact_at', 'created_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS '
                            '"customer_kind_status_archived_at_cadence_contact_at_created_at" ON '
                            '"customer" ("kind", "status", "archived_at", "cadence_contact_at", '
                            '"created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS '
                          '"customer_kind_status_archived_at_cadence_contact_at_created_at" ON '
                          '"customer" ("kind", "status", "archived_at", "cadence_contact_at", '
                          '"created_at")'}),
              (('shop_no', 'name'),
               {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "customer_live_shop_no_name" ON '
                            '"customer" ("shop_no", "name") WHERE archived_at IS NULL AND shop_no '
                            "IS NOT NULL AND shop_no <> ''",
                'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "customer_live_shop_no_name" ON '
                          '"customer" ("shop_no", "name") WHERE archived_at IS NULL AND shop_no IS '
                          "NOT NULL AND shop_no <> ''"}),
              (('name',),
               {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "customer_live_name_phone" ON '
                            '"customer" ("name", COALESCE(phone, \'\')) WHERE archived_at IS NULL '
                            "AND (shop_no IS NULL OR shop_no = '')",
                'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "customer_live_name_phone" ON '
                          '"customer" ("name", COALESCE(phone, \'\')) WHERE archived_at IS NULL '
                          "AND (shop_no IS NULL OR shop_no = '')"})],
 'deadline': [(('created_at',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_created_at" ON "deadline" '
                            '("created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_created_at" ON "deadline" '
                          '("created_at")'}),
              (('created_by_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_created_by_id" ON "deadline" '
                            '("created_by_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_created_by_id" ON "deadline" '
                          '("created_by_id")'}),
              (('record_type', 'record_id', 'status', 'kind'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS '
                            '"deadline_record_type_record_id_status_kind" ON "deadline" '
                            '("record_type", "record_id", "status", "kind")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_record_type_record_id_status_kind" '
                          'ON "deadline" ("record_type", "record_id", "status", "kind")'}),
              (('rule_code', 'status', 'due_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_rule_code_status_due_at" ON '
                            '"deadline" ("rule_code", "status", "due_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_rule_code_status_due_at" ON '
                          '"deadline" ("rule_code", "status", "due_at")'}),
              (('rule_code', 'status', 'warn_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_rule_code_status_warn_at" ON '
                            '"deadline" ("rule_code", "status", "warn_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_rule_code_status_warn_at" ON '
                          '"deadline" ("rule_code", "status", "warn_at")'}),
              (('status', 'due_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_status_due_at" ON "deadline" '
                            '("status", "due_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_status_due_at" ON "deadline" '
                          '("status", "due_at")'}),
              (('status', 'warn_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_status_warn_at" ON "deadline" '
                            '("status", "warn_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_status_warn_at" ON "deadline" '
                          '("status", "warn_at")'}),
              (('record_type', 'status', 'due_at', 'kind', 'warn_at', 'rule_code', 'record_id'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS '
                            '"deadline_record_type_status_due_at_kind_warn_at_rule_cod_bc62893" ON '
                            '"deadline" ("record_type", "status", "due_at", "kind", "warn_at", '
                            '"rule_code", "record_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS '
                          '"deadline_record_type_status_due_at_kind_warn_at_rule_cod_bc62893" ON '
                          '"deadline" ("record_type", "status", "due_at", "kind", "warn_at", '
                          '"rule_code", "record_id")'}),
              (('record_type',
                'record_id',
                'rule_id',
                'kind',
                'due_at',
                'level2_at',
                'level3_at',
                'level4_at'),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "deadline_running_clock" ON "deadline" '
                            '("record_type", "record_id", "rule_id", "kind", "due_at", '
                            '"level2_at", "level3_at", "level4_at") WHERE ("status" = \'running\')',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "deadline_running_clock" ON "deadline" '
                          '("record_type", "record_id", "rule_id", "kind", "due_at", "level2_at", '
                          '"level3_at", "level4_at") WHERE ("status" = \'running\')'})],
 'fee_item': [(('created_at',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "fee_item_created_at" ON "fee_item" '
                            '("created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "fee_item_created_at" ON "fee_item" '
                          '("created_at")'}),
              (('created_by_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "fee_item_created_by_id" ON "fee_item" '
                            '("created_by_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "fee_item_created_by_id" ON "fee_item" '
                          '("created_by_id")'}),
              (('code',),
               {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "fee_item_code" ON "fee_item" '
                            '("code")',
                'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "fee_item_code" ON "fee_item" '
                          '("code")'})],
 'form_token': [(('token',),
                 {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "formtoken_token" ON "form_token" '
                              '("token")',
                  'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "formtoken_token" ON "form_token" '
                            '("token")'})],
 'hold': [(('created_at',),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "hold_created_at" ON "hold" ("created_at")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "hold_created_at" ON "hold" ("created_at")'}),
          (('created_by_id',),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "hold_created_by_id" ON "hold" '
                        '("created_by_id")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "hold_created_by_id" ON "hold" '
                      '("created_by_id")'}),
          (('ended_by_id',),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "hold_ended_by_id" ON "hold" ("ended_by_id")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "hold_ended_by_id" ON "hold" ("ended_by_id")'}),
          (('record_type', 'record_id'),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "hold_record_type_record_id" ON "hold" '
                        '("record_type", "record_id")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "hold_record_type_record_id" ON "hold" '
                      '("record_type", "record_id")'})],
 'imported_upload': [(('token',),
                      {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "importedupload_token" ON '
                                   '"imported_upload" ("token")',
                       'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "importedupload_token" ON '
                                 '"imported_upload" ("token")'})],
 'item_loan': [(('created_at',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_created_at" ON "item_loan" '
                             '("created_at")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_created_at" ON "item_loan" '
                           '("created_at")'}),
               (('created_by_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_created_by_id" ON "item_loan" '
                             '("created_by_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_created_by_id" ON "item_loan" '
                           '("created_by_id")'}),
               (('number',),
                {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "item_loan_number" ON "item_loan" '
                             '("number")',
                 'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "item_loan_number" ON "item_loan" '
                           '("number")'}),
               (('receipt_no',),
                {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "item_loan_receipt_no" ON '
                             '"item_loan" ("receipt_no")',
                 'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "item_loan_receipt_no" ON '
                           '"item_loan" ("receipt_no")'}),
               (('item_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_item_id" ON "item_loan" '
                             '("item_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_item_id" ON "item_loan" '
                           '("item_id")'}),
               (('customer_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_customer_id" ON "item_loan" '
                             '("customer_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_customer_id" ON "item_loan" '
                           '("customer_id")'}),
               (('borrower_phone',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_borrower_phone" ON "item_loan" '
                             '("borrower_phone")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_borrower_phone" ON "item_loan" '
                           '("borrower_phone")'}),
               (('lent_by_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_lent_by_id" ON "item_loan" '
                             '("lent_by_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_lent_by_id" ON "item_loan" '
                           '("lent_by_id")'}),
               (('issued_by_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_issued_by_id" ON "item_loan" '
                             '("issued_by_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_issued_by_id" ON "item_loan" '
                           '("issued_by_id")'}),
               (('returned_to_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_returned_to_id" ON "item_loan" '
                             '("returned_to_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_returned_to_id" ON "item_loan" '
                           '("returned_to_id")'}),
               (('refunded_by_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_refunded_by_id" ON "item_loan" '
                             '("refunded_by_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_refunded_by_id" ON "item_loan" '
                           '("refunded_by_id")'}),
               (('fee_charge_id',),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_fee_charge_id" ON "item_loan" '
                             '("fee_charge_id")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_fee_charge_id" ON "item_loan" '
                           '("fee_charge_id")'}),
               (('status', 'due_back_at'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS "item_loan_status_due_back_at" ON '
                             '"item_loan" ("status", "due_back_at")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_status_due_back_at" ON '
                           '"item_loan" ("status", "due_back_at")'}),
               (('status', 'archived_at', 'due_back_at'),
                {'postgres': 'CREATE INDEX IF NOT EXISTS '
                             '"item_loan_status_archived_at_due_back_at" ON "item_loan" ("status", '
                             '"archived_at", "due_back_at")',
                 'sqlite': 'CREATE INDEX IF NOT EXISTS "item_loan_status_archived_at_due_back_at" '
                           'ON "item_loan" ("status", "archived_at", "due_back_at")'})],
 'job_run': [(('job', 'slot'),
              {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "jobrun_job_slot" ON "job_run" '
                           '("job", "slot")',
               'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "jobrun_job_slot" ON "job_run" ("job", '
                         '"slot")'})],
 'lendable_item': [(('created_at',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "lendable_item_created_at" ON '
                                 '"lendable_item" ("created_at")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "lendable_item_created_at" ON '
                               '"lendable_item" ("created_at")'}),
                   (('created_by_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "lendable_item_created_by_id" ON '
                                 '"lendable_item" ("created_by_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "lendable_item_created_by_id" ON '
                               '"lendable_item" ("created_by_id")'}),
                   (('code',),
                    {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "lendable_item_code" ON '
                                 '"lendable_item" ("code")',
                     'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "lendable_item_code" ON '
                               '"lendable_item" ("code")'}),
                   (('fee_item_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "lendable_item_fee_item_id" ON '
                                 '"lendable_item" ("fee_item_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "lendable_item_fee_item_id" ON '
                               '"lendable_item" ("fee_item_id")'})],
 'login_attempt': [(('username',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "loginattempt_username" ON '
                                 '"login_attempt" ("username")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "loginattempt_username" ON '
                               '"login_attempt" ("username")'}),
                   (('address',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "loginattempt_address" ON '
                                 '"login_attempt" ("address")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "loginattempt_address" ON '
                               '"login_attempt" ("address")'}),
                   (('at',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "loginattempt_at" ON "login_attempt" '
                                 '("at")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "loginattempt_at" ON "login_attempt" '
                               '("at")'})],
 'meeting': [(('created_at',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_created_at" ON "meeting" '
                           '("created_at")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_created_at" ON "meeting" '
                         '("created_at")'}),
             (('created_by_id',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_created_by_id" ON "meeting" '
                           '("created_by_id")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_created_by_id" ON "meeting" '
                         '("created_by_id")'}),
             (('number',),
              {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "meeting_number" ON "meeting" '
                           '("number")',
               'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "meeting_number" ON "meeting" '
                         '("number")'}),
             (('department_id',),
              {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_department_id" ON "meeting" '
                           '("department_id")',
               'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_department_id" ON "meeting" '
                         '("department_id")'})],
 'meeting_attendee': [(('created_at',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_created_at" ON '
                                    '"meeting_attendee" ("created_at")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_created_at" ON '
                                  '"meeting_attendee" ("created_at")'}),
                      (('meeting_id',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_meeting_id" ON '
                                    '"meeting_attendee" ("meeting_id")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_meeting_id" ON '
                                  '"meeting_attendee" ("meeting_id")'}),
                      (('customer_id',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_customer_id" ON '
                                    '"meeting_attendee" ("customer_id")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_customer_id" ON '
                                  '"meeting_attendee" ("customer_id")'}),
                      (('meeting_id', 'customer_id'),
                       {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                    '"meeting_attendee_meeting_id_customer_id" ON '
                                    '"meeting_attendee" ("meeting_id", "customer_id")',
                        'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                  '"meeting_attendee_meeting_id_customer_id" ON "meeting_attendee" '
                                  '("meeting_id", "customer_id")'}),
                      (('customer_id',),
                       {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_customer_id" ON '
                                    '"meeting_attendee" ("customer_id")',
                        'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_attendee_customer_id" ON '
                                  '"meeting_attendee" ("customer_id")'})],
 'meeting_staff': [(('created_at',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_staff_created_at" ON '
                                 '"meeting_staff" ("created_at")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_staff_created_at" ON '
                               '"meeting_staff" ("created_at")'}),
                   (('meeting_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_staff_meeting_id" ON '
                                 '"meeting_staff" ("meeting_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_staff_meeting_id" ON '
                               '"meeting_staff" ("meeting_id")'}),
                   (('user_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "meeting_staff_user_id" ON '
                                 '"meeting_staff" ("user_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "meeting_staff_user_id" ON '
                               '"meeting_staff" ("user_id")'}),
                   (('meeting_id', 'user_id'),
                    {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                 '"meeting_staff_meeting_id_user_id" ON "meeting_staff" '
                                 '("meeting_id", "user_id")',
                     'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                               '"meeting_staff_meeting_id_user_id" ON "meeting_staff" '
                               '("meeting_id", "user_id")'})],
 'notice': [(('created_at',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_created_at" ON "notice" '
                          '("created_at")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_created_at" ON "notice" '
                        '("created_at")'}),
            (('created_by_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_created_by_id" ON "notice" '
                          '("created_by_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_created_by_id" ON "notice" '
                        '("created_by_id")'}),
            (('number',),
             {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "notice_number" ON "notice" '
                          '("number")',
              'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "notice_number" ON "notice" '
                        '("number")'}),
            (('department_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_department_id" ON "notice" '
                          '("department_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_department_id" ON "notice" '
                        '("department_id")'})],
 'notice_receipt': [(('created_at',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_receipt_created_at" ON '
                                  '"notice_receipt" ("created_at")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_receipt_created_at" ON '
                                '"notice_receipt" ("created_at")'}),
                    (('created_by_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_receipt_created_by_id" ON '
                                  '"notice_receipt" ("created_by_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_receipt_created_by_id" ON '
                                '"notice_receipt" ("created_by_id")'}),
                    (('notice_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_receipt_notice_id" ON '
                                  '"notice_receipt" ("notice_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_receipt_notice_id" ON '
                                '"notice_receipt" ("notice_id")'}),
                    (('customer_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_receipt_customer_id" ON '
                                  '"notice_receipt" ("customer_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_receipt_customer_id" ON '
                                '"notice_receipt" ("customer_id")'}),
                    (('recorded_by_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_receipt_recorded_by_id" ON '
                                  '"notice_receipt" ("recorded_by_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_receipt_recorded_by_id" ON '
                                '"notice_receipt" ("recorded_by_id")'}),
                    (('notice_id', 'customer_id'),
                     {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                  '"notice_receipt_notice_id_customer_id" ON "notice_receipt" '
                                  '("notice_id", "customer_id")',
                      'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                '"notice_receipt_notice_id_customer_id" ON "notice_receipt" '
                                '("notice_id", "customer_id")'}),
                    (('notice_id', 'status'),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "notice_receipt_notice_id_status" ON '
                                  '"notice_receipt" ("notice_id", "status")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "notice_receipt_notice_id_status" ON '
                                '"notice_receipt" ("notice_id", "status")'})],
 'repair_order': [(('created_at',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_created_at" ON '
                                '"repair_order" ("created_at")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_created_at" ON '
                              '"repair_order" ("created_at")'}),
                  (('created_by_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_created_by_id" ON '
                                '"repair_order" ("created_by_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_created_by_id" ON '
                              '"repair_order" ("created_by_id")'}),
                  (('number',),
                   {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "repair_order_number" ON '
                                '"repair_order" ("number")',
                    'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "repair_order_number" ON '
                              '"repair_order" ("number")'}),
                  (('contact_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_contact_id" ON '
                                '"repair_order" ("contact_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_contact_id" ON '
                              '"repair_order" ("contact_id")'}),
                  (('customer_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_customer_id" ON '
                                '"repair_order" ("customer_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_customer_id" ON '
                              '"repair_order" ("customer_id")'}),
                  (('reporter_phone',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_reporter_phone" ON '
                                '"repair_order" ("reporter_phone")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_reporter_phone" ON '
                              '"repair_order" ("reporter_phone")'}),
                  (('department_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_department_id" ON '
                                '"repair_order" ("department_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_department_id" ON '
                              '"repair_order" ("department_id")'}),
                  (('accepted_by_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "repair_order_accepted_by_id" ON '
                                '"repair_order" ("accepted_by_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "repair_order_accepted_by_id" ON '
                              '"repair_order" ("accepted_by_id")'}),
                  (('status', 'accept_deadline', 'on_hold_since'),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                '"repair_order_status_accept_deadline_on_hold_since" ON '
                                '"repair_order" ("status", "accept_deadline", "on_hold_since")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS '
                              '"repair_order_status_accept_deadline_on_hold_since" ON '
                              '"repair_order" ("status", "accept_deadline", "on_hold_since")'}),
                  (('status', 'callback_deadline', 'on_hold_since'),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                '"repair_order_status_callback_deadline_on_hold_since" ON '
                                '"repair_order" ("status", "callback_deadline", "on_hold_since")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS '
                              '"repair_order_status_callback_deadline_on_hold_since" ON '
                              '"repair_order" ("status", "callback_deadline", "on_hold_since")'}),
                  (('status', 'complete_deadline', 'on_hold_since'),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                '"repair_order_status_complete_deadline_on_hold_since" ON '
                                '"repair_order" ("status", "complete_deadline", "on_hold_since")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS '
                              '"repair_order_status_complete_deadline_on_hold_since" ON '
                              '"repair_order" ("status", "complete_deadline", "on_hold_since")'}),
                  (('status',
                    'archived_at',
                    'department_id',
                    'on_hold_since',
                    'accept_deadline',
                    'callback_deadline'),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                '"repair_order_status_archived_at_department_id_on_hold_si_03382b4" '
                                'ON "repair_order" ("status", "archived_at", "department_id", '
                                '"on_hold_since", "accept_deadline", "callback_deadline")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS '
                              '"repair_order_status_archived_at_department_id_on_hold_si_03382b4" '
                              'ON "repair_order" ("status", "archived_at", "department_id", '
                              '"on_hold_since", "accept_deadline", "callback_deadline")'})],
 'segment_rule': [(('created_at',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "segment_rule_created_at" ON '
                                '"segment_rule" ("created_at")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "segment_rule_created_at" ON '
                              '"segment_rule" ("created_at")'}),
                  (('created_by_id',),
                   {'postgres': 'CREATE INDEX IF NOT EXISTS "segment_rule_created_by_id" ON '
                                '"segment_rule" ("created_by_id")',
                    'sqlite': 'CREATE INDEX IF NOT EXISTS "segment_rule_created_by_id" ON '
                              '"segment_rule" ("created_by_id")'}),
                  (('code',),
                   {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "segment_rule_code" ON '
                                '"segment_rule" ("code")',
                    'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "segment_rule_code" ON '
                              '"segment_rule" ("code")'})],
 'service_request': [(('created_at',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_created_at" ON '
                                   '"service_request" ("created_at")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_created_at" ON '
                                 '"service_request" ("created_at")'}),
                     (('created_by_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_created_by_id" ON '
                                   '"service_request" ("created_by_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_created_by_id" ON '
                                 '"service_request" ("created_by_id")'}),
                     (('number',),
                      {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "service_request_number" ON '
                                   '"service_request" ("number")',
                       'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "service_request_number" ON '
                                 '"service_request" ("number")'}),
                     (('contact_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_contact_id" ON '
                                   '"service_request" ("contact_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_contact_id" ON '
                                 '"service_request" ("contact_id")'}),
                     (('customer_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_customer_id" ON '
                                   '"service_request" ("customer_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_customer_id" ON '
                                 '"service_request" ("customer_id")'}),
                     (('applicant_phone',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_applicant_phone" '
                                   'ON "service_request" ("applicant_phone")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_applicant_phone" ON '
                                 '"service_request" ("applicant_phone")'}),
                     (('department_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_department_id" ON '
                                   '"service_request" ("department_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_department_id" ON '
                                 '"service_request" ("department_id")'}),
                     (('decided_by_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "service_request_decided_by_id" ON '
                                   '"service_request" ("decided_by_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "service_request_decided_by_id" ON '
                                 '"service_request" ("decided_by_id")'}),
                     (('status', 'handback_deadline', 'on_hold_since'),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                   '"service_request_status_handback_deadline_on_hold_since" ON '
                                   '"service_request" ("status", "handback_deadline", '
                                   '"on_hold_since")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                 '"service_request_status_handback_deadline_on_hold_since" ON '
                                 '"service_request" ("status", "handback_deadline", '
                                 '"on_hold_since")'})],
 'setting': [],
 'shift_handover': [(('created_at',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "shift_handover_created_at" ON '
                                  '"shift_handover" ("created_at")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "shift_handover_created_at" ON '
                                '"shift_handover" ("created_at")'}),
                    (('created_by_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "shift_handover_created_by_id" ON '
                                  '"shift_handover" ("created_by_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "shift_handover_created_by_id" ON '
                                '"shift_handover" ("created_by_id")'}),
                    (('number',),
                     {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "shift_handover_number" ON '
                                  '"shift_handover" ("number")',
                      'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "shift_handover_number" ON '
                                '"shift_handover" ("number")'}),
                    (('handed_by_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "shift_handover_handed_by_id" ON '
                                  '"shift_handover" ("handed_by_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "shift_handover_handed_by_id" ON '
                                '"shift_handover" ("handed_by_id")'}),
                    (('taken_by_id',),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS "shift_handover_taken_by_id" ON '
                                  '"shift_handover" ("taken_by_id")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS "shift_handover_taken_by_id" ON '
                                '"shift_handover" ("taken_by_id")'}),
                    (('status', 'finance_deadline'),
                     {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                  '"shift_handover_status_finance_deadline" ON "shift_handover" '
                                  '("status", "finance_deadline")',
                      'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                '"shift_handover_status_finance_deadline" ON "shift_handover" '
                                '("status", "finance_deadline")'})],
 'sla_rule': [(('created_at',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "sla_rule_created_at" ON "sla_rule" '
                            '("created_at")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "sla_rule_created_at" ON "sla_rule" '
                          '("created_at")'}),
              (('created_by_id',),
               {'postgres': 'CREATE INDEX IF NOT EXISTS "sla_rule_created_by_id" ON "sla_rule" '
                            '("created_by_id")',
                'sqlite': 'CREATE INDEX IF NOT EXISTS "sla_rule_created_by_id" ON "sla_rule" '
                          '("created_by_id")'}),
              (('code',),
               {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "sla_rule_code" ON "sla_rule" '
                            '("code")',
                'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "sla_rule_code" ON "sla_rule" '
                          '("code")'})],
 'survey': [(('created_at',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_created_at" ON "survey" '
                          '("created_at")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_created_at" ON "survey" '
                        '("created_at")'}),
            (('created_by_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_created_by_id" ON "survey" '
                          '("created_by_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_created_by_id" ON "survey" '
                        '("created_by_id")'}),
            (('approved_by_id',),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_approved_by_id" ON "survey" '
                          '("approved_by_id")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_approved_by_id" ON "survey" '
                        '("approved_by_id")'}),
            (('target', 'start_date'),
             {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_target_start_date" ON "survey" '
                          '("target", "start_date")',
              'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_target_start_date" ON "survey" '
                        '("target", "start_date")'})],
 'survey_answer': [(('created_at',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_answer_created_at" ON '
                                 '"survey_answer" ("created_at")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_answer_created_at" ON '
                               '"survey_answer" ("created_at")'}),
                   (('response_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_answer_response_id" ON '
                                 '"survey_answer" ("response_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_answer_response_id" ON '
                               '"survey_answer" ("response_id")'}),
                   (('question_id',),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_answer_question_id" ON '
                                 '"survey_answer" ("question_id")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_answer_question_id" ON '
                               '"survey_answer" ("question_id")'}),
                   (('response_id', 'question_id'),
                    {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                 '"survey_answer_response_id_question_id" ON "survey_answer" '
                                 '("response_id", "question_id")',
                     'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                               '"survey_answer_response_id_question_id" ON "survey_answer" '
                               '("response_id", "question_id")'}),
                   (('question_id', 'rating'),
                    {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_answer_question_id_rating" ON '
                                 '"survey_answer" ("question_id", "rating")',
                     'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_answer_question_id_rating" ON '
                               '"survey_answer" ("question_id", "rating")'})],
 'survey_distribution': [(('created_at',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                       '"survey_distribution_created_at" ON "survey_distribution" '
                                       '("created_at")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_distribution_created_at" '
                                     'ON "survey_distribution" ("created_at")'}),
                         (('created_by_id',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                       '"survey_distribution_created_by_id" ON '
                                       '"survey_distribution" ("created_by_id")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                     '"survey_distribution_created_by_id" ON "survey_distribution" '
                                     '("created_by_id")'}),
                         (('survey_id',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_distribution_survey_id" '
                                       'ON "survey_distribution" ("survey_id")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_distribution_survey_id" '
                                     'ON "survey_distribution" ("survey_id")'}),
                         (('customer_id',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                       '"survey_distribution_customer_id" ON "survey_distribution" '
                                       '("customer_id")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_distribution_customer_id" '
                                     'ON "survey_distribution" ("customer_id")'}),
                         (('token',),
                          {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                       '"survey_distribution_token" ON "survey_distribution" '
                                       '("token")',
                           'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                     '"survey_distribution_token" ON "survey_distribution" '
                                     '("token")'}),
                         (('distributed_by_id',),
                          {'postgres': 'CREATE INDEX IF NOT EXISTS '
                                       '"survey_distribution_distributed_by_id" ON '
                                       '"survey_distribution" ("distributed_by_id")',
                           'sqlite': 'CREATE INDEX IF NOT EXISTS '
                                     '"survey_distribution_distributed_by_id" ON '
                                     '"survey_distribution" ("distributed_by_id")'}),
                         (('survey_id', 'customer_id'),
                          {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                       '"survey_distribution_survey_id_customer_id" ON '
                                       '"survey_distribution" ("survey_id", "customer_id")',
                           'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                     '"survey_distribution_survey_id_customer_id" ON '
                                     '"survey_distribution" ("survey_id", "customer_id")'})],
 'survey_question': [(('created_at',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_question_created_at" ON '
                                   '"survey_question" ("created_at")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_question_created_at" ON '
                                 '"survey_question" ("created_at")'}),
                     (('created_by_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_question_created_by_id" ON '
                                   '"survey_question" ("created_by_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_question_created_by_id" ON '
                                 '"survey_question" ("created_by_id")'}),
                     (('survey_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_question_survey_id" ON '
                                   '"survey_question" ("survey_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_question_survey_id" ON '
                                 '"survey_question" ("survey_id")'}),
                     (('department_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_question_department_id" ON '
                                   '"survey_question" ("department_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_question_department_id" ON '
                                 '"survey_question" ("department_id")'})],
 'survey_response': [(('created_at',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_response_created_at" ON '
                                   '"survey_response" ("created_at")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_response_created_at" ON '
                                 '"survey_response" ("created_at")'}),
                     (('created_by_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_response_created_by_id" ON '
                                   '"survey_response" ("created_by_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_response_created_by_id" ON '
                                 '"survey_response" ("created_by_id")'}),
                     (('survey_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_response_survey_id" ON '
                                   '"survey_response" ("survey_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_response_survey_id" ON '
                                 '"survey_response" ("survey_id")'}),
                     (('customer_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_response_customer_id" ON '
                                   '"survey_response" ("customer_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_response_customer_id" ON '
                                 '"survey_response" ("customer_id")'}),
                     (('distribution_id',),
                      {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                   '"survey_response_distribution_id" ON "survey_response" '
                                   '("distribution_id")',
                       'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS '
                                 '"survey_response_distribution_id" ON "survey_response" '
                                 '("distribution_id")'}),
                     (('entered_by_id',),
                      {'postgres': 'CREATE INDEX IF NOT EXISTS "survey_response_entered_by_id" ON '
                                   '"survey_response" ("entered_by_id")',
                       'sqlite': 'CREATE INDEX IF NOT EXISTS "survey_response_entered_by_id" ON '
                                 '"survey_response" ("entered_by_id")'})],
 'user': [(('created_at',),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "user_created_at" ON "user" ("created_at")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "user_created_at" ON "user" ("created_at")'}),
          (('username',),
           {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "user_username" ON "user" ("username")',
            'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "user_username" ON "user" ("username")'}),
          (('department_id',),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "user_department_id" ON "user" '
                        '("department_id")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "user_department_id" ON "user" '
                      '("department_id")'}),
          (('created_by_id',),
           {'postgres': 'CREATE INDEX IF NOT EXISTS "user_created_by_id" ON "user" '
                        '("created_by_id")',
            'sqlite': 'CREATE INDEX IF NOT EXISTS "user_created_by_id" ON "user" '
                      '("created_by_id")'})],
 'work_letter': [(('created_at',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_created_at" ON '
                               '"work_letter" ("created_at")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_created_at" ON "work_letter" '
                             '("created_at")'}),
                 (('created_by_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_created_by_id" ON '
                               '"work_letter" ("created_by_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_created_by_id" ON '
                             '"work_letter" ("created_by_id")'}),
                 (('number',),
                  {'postgres': 'CREATE UNIQUE INDEX IF NOT EXISTS "work_letter_number" ON '
                               '"work_letter" ("number")',
                   'sqlite': 'CREATE UNIQUE INDEX IF NOT EXISTS "work_letter_number" ON '
                             '"work_letter" ("number")'}),
                 (('contact_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_contact_id" ON '
                               '"work_letter" ("contact_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_contact_id" ON "work_letter" '
                             '("contact_id")'}),
                 (('service_request_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_service_request_id" ON '
                               '"work_letter" ("service_request_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_service_request_id" ON '
                             '"work_letter" ("service_request_id")'}),
                 (('from_department_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_from_department_id" ON '
                               '"work_letter" ("from_department_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_from_department_id" ON '
                             '"work_letter" ("from_department_id")'}),
                 (('to_department_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_to_department_id" ON '
                               '"work_letter" ("to_department_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_to_department_id" ON '
                             '"work_letter" ("to_department_id")'}),
                 (('acknowledged_by_id',),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_acknowledged_by_id" ON '
                               '"work_letter" ("acknowledged_by_id")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_acknowledged_by_id" ON '
                             '"work_letter" ("acknowledged_by_id")'}),
                 (('status', 'forward_deadline'),
                  {'postgres': 'CREATE INDEX IF NOT EXISTS "work_letter_status_forward_deadline" '
                               'ON "work_letter" ("status", "forward_deadline")',
                   'sqlite': 'CREATE INDEX IF NOT EXISTS "work_letter_status_forward_deadline" ON '
                             '"work_letter" ("status", "forward_deadline")'})]}
