DROP TABLE access_log;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE organizations;
