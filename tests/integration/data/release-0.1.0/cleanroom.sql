BEGIN TRANSACTION;
CREATE TABLE api_tokens (
	id VARCHAR(40) NOT NULL, 
	token_hash VARCHAR(64) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	member_id VARCHAR(40), 
	created_at DATETIME NOT NULL, 
	revoked_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (token_hash), 
	FOREIGN KEY(member_id) REFERENCES members (id)
);
INSERT INTO "api_tokens" VALUES('tok_7d9c346110ad7031','eb6391c599f50c97c448671eb7585a78f1680546aba733eb0d012bd23fa597ca','admin',NULL,'2026-12-01 09:00:53.649694',NULL);
INSERT INTO "api_tokens" VALUES('tok_8466597d2ea46fde','0a6072cb494f2214391fbeb9117ff2af58caef7ec08344644e202497965711cb','party_admin','mem_51bb16efad272ccb','2026-12-01 09:00:53.828489',NULL);
INSERT INTO "api_tokens" VALUES('tok_494bc6da4f35c200','b62d600cb69f2929afdb96fb0e01697ac6332feaa830e885d696dead83a99175','party_admin','mem_20f6d8c964f04989','2026-12-01 09:00:53.838749',NULL);
INSERT INTO "api_tokens" VALUES('tok_8d1da57a9198f4d8','fe3c5c67aafe21f9581c71f5f17048019b38df2290db6685b5922afa2bd5fe52','analyst','mem_04cf45ff132c48e9','2026-12-01 09:00:53.844762',NULL);
INSERT INTO "api_tokens" VALUES('tok_f1e086392e188d13','4205a214c1dc0de02c61fa646b3877517ab4cd20bb2da130e9f228aeeaa2a649','auditor','mem_f27bd68d92f8e287','2026-12-01 09:00:53.849807',NULL);
CREATE TABLE audit_entries (
	seq INTEGER NOT NULL, 
	time DATETIME NOT NULL, 
	actor VARCHAR(100) NOT NULL, 
	action VARCHAR(60) NOT NULL, 
	collaboration_id VARCHAR(40), 
	details JSON NOT NULL, 
	details_digest VARCHAR(64) NOT NULL, 
	chain VARCHAR(40) NOT NULL, 
	chain_seq INTEGER NOT NULL, 
	outcome VARCHAR(20) NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	entry_hash VARCHAR(64) NOT NULL, 
	signature VARCHAR(100) NOT NULL, 
	record_json TEXT NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (chain, chain_seq)
);
INSERT INTO "audit_entries" VALUES(1,'2026-12-01 09:00:53.651322','server','token.issue',NULL,'{"role": "admin", "token_id": "tok_7d9c346110ad7031"}','dfdd9190bfd4c77a5b5fbea5e235e040446ab18c2c79ebf9d16a7ff068ed4135','',1,'ok','0000000000000000000000000000000000000000000000000000000000000000','afb08f5e6b21297e836fe97aa36d2849ee1237046fd9047292fd55a19dd312a4','pcuwfOepaW4IKTtVVjkfsmPDWbQpXn0n31PWsyIQiSZ33C0Yf-hppuxjq7fhzayDstlfeqHpQlOI0SRKZhZtBw','{"action": "token.issue", "actor": "server", "budget_left": null, "collaboration": "", "details": {"role": "admin", "token_id": "tok_7d9c346110ad7031"}, "entry_hash": "afb08f5e6b21297e836fe97aa36d2849ee1237046fd9047292fd55a19dd312a4", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "0000000000000000000000000000000000000000000000000000000000000000", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 1, "signature": "pcuwfOepaW4IKTtVVjkfsmPDWbQpXn0n31PWsyIQiSZ33C0Yf-hppuxjq7fhzayDstlfeqHpQlOI0SRKZhZtBw", "time": "2026-12-01T09:00:53.651322Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(2,'2026-12-01 09:00:53.815374','admin:tok_7d9c346110ad7031','collaboration.create','col_ad73b3ee5690fab7','{"name": "made by release 0.1.0"}','de0e649e1ccdc7a73cffd2ab5e4603134a9228a4afd3228e6300e0d45235eb19','col_ad73b3ee5690fab7',1,'ok','0000000000000000000000000000000000000000000000000000000000000000','410e8ab04ec4ad430d53622994be1216adf3e76484f62145cc5066703a8c4c88','FRrcyo_4uEVKBQv1OiWlQE4HALXigMn9cXpaB9b4A1CTHVh8UEkWhYV8XN6OxhT3q8DNg7JaWcAc0BZ2GZCTAg','{"action": "collaboration.create", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"name": "made by release 0.1.0"}, "entry_hash": "410e8ab04ec4ad430d53622994be1216adf3e76484f62145cc5066703a8c4c88", "epsilon_charged": null, "outcome": "ok", "policy_hash": "3acd643516f432ae412e0ae51ad9280b098bca5f5f22ed8373fc0513f787c476", "prev_hash": "0000000000000000000000000000000000000000000000000000000000000000", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 1, "signature": "FRrcyo_4uEVKBQv1OiWlQE4HALXigMn9cXpaB9b4A1CTHVh8UEkWhYV8XN6OxhT3q8DNg7JaWcAc0BZ2GZCTAg", "time": "2026-12-01T09:00:53.815374Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(3,'2026-12-01 09:00:53.827454','admin:tok_7d9c346110ad7031','member.add','col_ad73b3ee5690fab7','{"member_id": "mem_51bb16efad272ccb", "party": "brand", "role": "party_admin"}','0ccd9800602c77e0274b67a51d664db5a718a259e30cb32262414f04aeb3fae7','col_ad73b3ee5690fab7',2,'ok','410e8ab04ec4ad430d53622994be1216adf3e76484f62145cc5066703a8c4c88','e0a8215aaa2093b5e62bfe984f11a73544c4d1028565c3e0ca90748230018b56','Mp0GhWAtIPQhWNIPKg-3Lga37sYAi7U_2EE4sH9WJc1hesR7INVNDxNTIlzO9zOXV7LMGOCh8oDF3WUrbRDlDw','{"action": "member.add", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_51bb16efad272ccb", "party": "brand", "role": "party_admin"}, "entry_hash": "e0a8215aaa2093b5e62bfe984f11a73544c4d1028565c3e0ca90748230018b56", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "410e8ab04ec4ad430d53622994be1216adf3e76484f62145cc5066703a8c4c88", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 2, "signature": "Mp0GhWAtIPQhWNIPKg-3Lga37sYAi7U_2EE4sH9WJc1hesR7INVNDxNTIlzO9zOXV7LMGOCh8oDF3WUrbRDlDw", "time": "2026-12-01T09:00:53.827454Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(4,'2026-12-01 09:00:53.828790','admin:tok_7d9c346110ad7031','token.issue','col_ad73b3ee5690fab7','{"member_id": "mem_51bb16efad272ccb", "token_id": "tok_8466597d2ea46fde"}','7dd568f6ceabd0c731edd47b9ddb0db757f2d7a121b502ff3aee1db0ff3608de','col_ad73b3ee5690fab7',3,'ok','e0a8215aaa2093b5e62bfe984f11a73544c4d1028565c3e0ca90748230018b56','d761dd81591e1481ebdec69e7c739576adbd52b592f5f3ed76ed5348239fbff4','z3YiZHqpsAykhQhYwGL_170wBdv7HXvnOm-wiJk_9flRyKIt545x4RKDdDrtc4AyTsSzeMfl_T05t2Dq8DBdBw','{"action": "token.issue", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_51bb16efad272ccb", "token_id": "tok_8466597d2ea46fde"}, "entry_hash": "d761dd81591e1481ebdec69e7c739576adbd52b592f5f3ed76ed5348239fbff4", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "e0a8215aaa2093b5e62bfe984f11a73544c4d1028565c3e0ca90748230018b56", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 3, "signature": "z3YiZHqpsAykhQhYwGL_170wBdv7HXvnOm-wiJk_9flRyKIt545x4RKDdDrtc4AyTsSzeMfl_T05t2Dq8DBdBw", "time": "2026-12-01T09:00:53.828790Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(5,'2026-12-01 09:00:53.837641','admin:tok_7d9c346110ad7031','member.add','col_ad73b3ee5690fab7','{"member_id": "mem_20f6d8c964f04989", "party": "retailer", "role": "party_admin"}','2ab61ff615b0a7b0e89b82b59625188e53ca723fddf20f14e6e2a0491219e025','col_ad73b3ee5690fab7',4,'ok','d761dd81591e1481ebdec69e7c739576adbd52b592f5f3ed76ed5348239fbff4','2d6489a1c8c85d389e29200a89e62576eb4a23c9e8288746f9a9737aef7fa396','76BZjN03odaMzBEMhy4p_fDN6P72z5vCOAw_iozKnxQohyYja33OLFHXZOvUx3zBZDNDK1jTL2QojmNyY8Z8BQ','{"action": "member.add", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_20f6d8c964f04989", "party": "retailer", "role": "party_admin"}, "entry_hash": "2d6489a1c8c85d389e29200a89e62576eb4a23c9e8288746f9a9737aef7fa396", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "d761dd81591e1481ebdec69e7c739576adbd52b592f5f3ed76ed5348239fbff4", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 4, "signature": "76BZjN03odaMzBEMhy4p_fDN6P72z5vCOAw_iozKnxQohyYja33OLFHXZOvUx3zBZDNDK1jTL2QojmNyY8Z8BQ", "time": "2026-12-01T09:00:53.837641Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(6,'2026-12-01 09:00:53.839099','admin:tok_7d9c346110ad7031','token.issue','col_ad73b3ee5690fab7','{"member_id": "mem_20f6d8c964f04989", "token_id": "tok_494bc6da4f35c200"}','cef43cb88485af486b7fe14ad175b3344a0896fa930c504230aea29fedcd3139','col_ad73b3ee5690fab7',5,'ok','2d6489a1c8c85d389e29200a89e62576eb4a23c9e8288746f9a9737aef7fa396','eaa33fe672b217e43e9a57895887a7f1a3fe4148e0004246c6dd67a88261ef7c','MFubidCtuYbAsXH1zaNMtwIf02HecXy2GVFrw2U4WUROfU8lC2F4BBeS-xTWO7YUSdJPa_7zHsDfjj7ILJMlCw','{"action": "token.issue", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_20f6d8c964f04989", "token_id": "tok_494bc6da4f35c200"}, "entry_hash": "eaa33fe672b217e43e9a57895887a7f1a3fe4148e0004246c6dd67a88261ef7c", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "2d6489a1c8c85d389e29200a89e62576eb4a23c9e8288746f9a9737aef7fa396", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 5, "signature": "MFubidCtuYbAsXH1zaNMtwIf02HecXy2GVFrw2U4WUROfU8lC2F4BBeS-xTWO7YUSdJPa_7zHsDfjj7ILJMlCw", "time": "2026-12-01T09:00:53.839099Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(7,'2026-12-01 09:00:53.843898','admin:tok_7d9c346110ad7031','member.add','col_ad73b3ee5690fab7','{"member_id": "mem_04cf45ff132c48e9", "party": "analyst", "role": "analyst"}','9baea7c2c04f4ec2ea207e2a1c74241d561ed38e8af2234e2668689aaf5ab8d5','col_ad73b3ee5690fab7',6,'ok','eaa33fe672b217e43e9a57895887a7f1a3fe4148e0004246c6dd67a88261ef7c','29cced9c6a97eb1bb52e63d0f9deca0a8496514858545b7ab0cf7e7ea1cc7211','J2HydywAtpzaismtJTwavdX8ZMLyF2kzMaYtIf4Kuo438Xf_N-qFkCikLVwYAfcz9Yd4h1KnD0R8bcMDWRitDQ','{"action": "member.add", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_04cf45ff132c48e9", "party": "analyst", "role": "analyst"}, "entry_hash": "29cced9c6a97eb1bb52e63d0f9deca0a8496514858545b7ab0cf7e7ea1cc7211", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "eaa33fe672b217e43e9a57895887a7f1a3fe4148e0004246c6dd67a88261ef7c", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 6, "signature": "J2HydywAtpzaismtJTwavdX8ZMLyF2kzMaYtIf4Kuo438Xf_N-qFkCikLVwYAfcz9Yd4h1KnD0R8bcMDWRitDQ", "time": "2026-12-01T09:00:53.843898Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(8,'2026-12-01 09:00:53.845043','admin:tok_7d9c346110ad7031','token.issue','col_ad73b3ee5690fab7','{"member_id": "mem_04cf45ff132c48e9", "token_id": "tok_8d1da57a9198f4d8"}','4fd95a629826604b2398a82728cb9098b0d803b896aed589dfe95fb559ee0960','col_ad73b3ee5690fab7',7,'ok','29cced9c6a97eb1bb52e63d0f9deca0a8496514858545b7ab0cf7e7ea1cc7211','d566ef65d92f8b9145d7d3dff3a2abdf9c9b949e255ce6231fd6f38aeca353ba','VtAySA_01IvUJjGM2L7Q6cA0Y46r3RWuwm43Ds2QeLn-mbuSeKFVDe8JG6ccWRXqYKeHf63ZLI6mCgl0xsTWBQ','{"action": "token.issue", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_04cf45ff132c48e9", "token_id": "tok_8d1da57a9198f4d8"}, "entry_hash": "d566ef65d92f8b9145d7d3dff3a2abdf9c9b949e255ce6231fd6f38aeca353ba", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "29cced9c6a97eb1bb52e63d0f9deca0a8496514858545b7ab0cf7e7ea1cc7211", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 7, "signature": "VtAySA_01IvUJjGM2L7Q6cA0Y46r3RWuwm43Ds2QeLn-mbuSeKFVDe8JG6ccWRXqYKeHf63ZLI6mCgl0xsTWBQ", "time": "2026-12-01T09:00:53.845043Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(9,'2026-12-01 09:00:53.849088','admin:tok_7d9c346110ad7031','member.add','col_ad73b3ee5690fab7','{"member_id": "mem_f27bd68d92f8e287", "party": "audit", "role": "auditor"}','4c0782fe0e894c7eacad0391ca728b90a8c2c9b37864dc9b1ba5eadbe573d7d2','col_ad73b3ee5690fab7',8,'ok','d566ef65d92f8b9145d7d3dff3a2abdf9c9b949e255ce6231fd6f38aeca353ba','297257d3a4fa042045d504e433043890c5eaabf450401f51668fbb207a58f7c9','yjmdqHOAwEFNcsxSrFWAZxrFqdIgVrPNtcSWsLVqiqVLM-RvHH55Vw2AJ-uzVXYEz7XPa8oPwjBvXoDvdESICw','{"action": "member.add", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_f27bd68d92f8e287", "party": "audit", "role": "auditor"}, "entry_hash": "297257d3a4fa042045d504e433043890c5eaabf450401f51668fbb207a58f7c9", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "d566ef65d92f8b9145d7d3dff3a2abdf9c9b949e255ce6231fd6f38aeca353ba", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 8, "signature": "yjmdqHOAwEFNcsxSrFWAZxrFqdIgVrPNtcSWsLVqiqVLM-RvHH55Vw2AJ-uzVXYEz7XPa8oPwjBvXoDvdESICw", "time": "2026-12-01T09:00:53.849088Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(10,'2026-12-01 09:00:53.850062','admin:tok_7d9c346110ad7031','token.issue','col_ad73b3ee5690fab7','{"member_id": "mem_f27bd68d92f8e287", "token_id": "tok_f1e086392e188d13"}','ce080b19f0f67d038f4be7e52de57a428367e26d2c61b57b17571bd1cc0e9cca','col_ad73b3ee5690fab7',9,'ok','297257d3a4fa042045d504e433043890c5eaabf450401f51668fbb207a58f7c9','ef2037f42399a991d4ac98aa8c4dddf0b7e95dc2fc2b9272988b34106c67aa7d','D_Xe4HVZMHW_CpIROG0nCRXdkGpQePxOxECUtkHTEmPbMwKAfT5NE0C6bqKDbmF0cbOkT9Nn2S5mSMWR83IyDw','{"action": "token.issue", "actor": "admin:tok_7d9c346110ad7031", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"member_id": "mem_f27bd68d92f8e287", "token_id": "tok_f1e086392e188d13"}, "entry_hash": "ef2037f42399a991d4ac98aa8c4dddf0b7e95dc2fc2b9272988b34106c67aa7d", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "297257d3a4fa042045d504e433043890c5eaabf450401f51668fbb207a58f7c9", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 9, "signature": "D_Xe4HVZMHW_CpIROG0nCRXdkGpQePxOxECUtkHTEmPbMwKAfT5NE0C6bqKDbmF0cbOkT9Nn2S5mSMWR83IyDw", "time": "2026-12-01T09:00:53.850062Z", "type": "entry"}');
INSERT INTO "audit_entries" VALUES(11,'2026-12-01 09:00:53.880093','brand:mem_51bb16efad272ccb','member.keys.register','col_ad73b3ee5690fab7','{"ed25519_fingerprint": "3ada 7e37 f671 0c19 b0b8 d0f0 14a4 62d3", "member_id": "mem_51bb16efad272ccb", "x25519_fingerprint": "55d1 af4e fb55 173d 92f1 689e 0370 51e6"}','a9b4de8761c127b690552ce0ab05221bf07045a13114f1761ca823b06b6a8102','col_ad73b3ee5690fab7',10,'ok','ef2037f42399a991d4ac98aa8c4dddf0b7e95dc2fc2b9272988b34106c67aa7d','9c7937429c0d1ec192e4d28a7788b2986d38f86fdecfba9841982b9b3c1408a4','enSJYyvCRCCKmnnrjjJqa3jiibmAWefyuGZFrQ8V6iUbThqhuS10Dv54boZR1e_c-Qrxc1Dpr0j-ag9FK5X8CQ','{"action": "member.keys.register", "actor": "brand:mem_51bb16efad272ccb", "budget_left": null, "collaboration": "col_ad73b3ee5690fab7", "details": {"ed25519_fingerprint": "3ada 7e37 f671 0c19 b0b8 d0f0 14a4 62d3", "member_id": "mem_51bb16efad272ccb", "x25519_fingerprint": "55d1 af4e fb55 173d 92f1 689e 0370 51e6"}, "entry_hash": "9c7937429c0d1ec192e4d28a7788b2986d38f86fdecfba9841982b9b3c1408a4", "epsilon_charged": null, "outcome": "ok", "policy_hash": null, "prev_hash": "ef2037f42399a991d4ac98aa8c4dddf0b7e95dc2fc2b9272988b34106c67aa7d", "request_digest": null, "result_digest": null, "rows_suppressed": null, "seq": 10, "signature": "enSJYyvCRCCKmnnrjjJqa3jiibmAWefyuGZFrQ8V6iUbThqhuS10Dv54boZR1e_c-Qrxc1Dpr0j-ag9FK5X8CQ", "time": "2026-12-01T09:00:53.880093Z", "type": "entry"}');
CREATE TABLE audit_heads (
	chain VARCHAR(40) NOT NULL, 
	last_seq INTEGER NOT NULL, 
	last_hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (chain)
);
INSERT INTO "audit_heads" VALUES('',1,'afb08f5e6b21297e836fe97aa36d2849ee1237046fd9047292fd55a19dd312a4');
INSERT INTO "audit_heads" VALUES('col_ad73b3ee5690fab7',10,'9c7937429c0d1ec192e4d28a7788b2986d38f86fdecfba9841982b9b3c1408a4');
CREATE TABLE budget_ledger (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	period_start BIGINT NOT NULL, 
	period_end BIGINT NOT NULL, 
	spent VARCHAR(200) NOT NULL, 
	version INTEGER NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, period_start, period_end), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id)
);
CREATE TABLE collaborations (
	id VARCHAR(40) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "collaborations" VALUES('col_ad73b3ee5690fab7','made by release 0.1.0','2026-12-01 09:00:53.810009');
CREATE TABLE dataset_versions (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	dataset_id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	path TEXT NOT NULL, 
	size BIGINT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	rows BIGINT NOT NULL, 
	columns JSON NOT NULL, 
	uploaded_by VARCHAR(40) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (dataset_id, version), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id), 
	FOREIGN KEY(dataset_id) REFERENCES datasets (id), 
	FOREIGN KEY(uploaded_by) REFERENCES members (id)
);
CREATE TABLE datasets (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	owner_id VARCHAR(40) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, name), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id), 
	FOREIGN KEY(owner_id) REFERENCES members (id)
);
CREATE TABLE members (
	id VARCHAR(40) NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	party VARCHAR(100) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	x25519_public VARCHAR(64), 
	ed25519_public VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, party), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id)
);
INSERT INTO "members" VALUES('mem_51bb16efad272ccb','col_ad73b3ee5690fab7','brand','party_admin','-JdkFhrdUf_e7hS0dIbEiqrRQLW5Kl6q3X0Xb3uZNTw','A-RiJu2k5YIIyKrJDYBfe42JsHdlul7r-BXhjhOoT5I','2026-12-01 09:00:53.826681');
INSERT INTO "members" VALUES('mem_20f6d8c964f04989','col_ad73b3ee5690fab7','retailer','party_admin',NULL,NULL,'2026-12-01 09:00:53.836999');
INSERT INTO "members" VALUES('mem_04cf45ff132c48e9','col_ad73b3ee5690fab7','analyst','analyst',NULL,NULL,'2026-12-01 09:00:53.843402');
INSERT INTO "members" VALUES('mem_f27bd68d92f8e287','col_ad73b3ee5690fab7','audit','auditor',NULL,NULL,'2026-12-01 09:00:53.848619');
CREATE TABLE party_rules (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	party VARCHAR(100) NOT NULL, 
	version INTEGER NOT NULL, 
	rules_hash VARCHAR(64) NOT NULL, 
	text TEXT NOT NULL, 
	created_by VARCHAR(100) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, party, version), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id)
);
CREATE TABLE policy_approvals (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	policy_version_id INTEGER NOT NULL, 
	member_id VARCHAR(40) NOT NULL, 
	signature VARCHAR(100) NOT NULL, 
	public_key VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (policy_version_id, member_id), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id), 
	FOREIGN KEY(policy_version_id) REFERENCES policy_versions (id), 
	FOREIGN KEY(member_id) REFERENCES members (id)
);
CREATE TABLE policy_versions (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	seq INTEGER NOT NULL, 
	policy_hash VARCHAR(64) NOT NULL, 
	text TEXT NOT NULL, 
	proposed_by VARCHAR(40) NOT NULL, 
	created_at DATETIME NOT NULL, 
	effective_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, policy_hash), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id)
);
INSERT INTO "policy_versions" VALUES(1,'col_ad73b3ee5690fab7',1,'3acd643516f432ae412e0ae51ad9280b098bca5f5f22ed8373fc0513f787c476','# Preset `strict`: for sensitive categories or a first collaboration between parties
# that do not yet know each other. Every field is at least as strict as `standard`.
format: cleanroom-policy/1
name: strict
version: 1
templates: [overlap, conversions, lift]
dimensions:
  exposures: [channel]
  purchases: []
window:
  min: 1d
  max: 14d
k: 100
epsilon_per_query: "1/4"
budget:
  epsilon: 2
  period: monthly
contribution:
  max_campaigns_per_user: 10
  max_purchases_per_user: 20
  amount_cap: 250
receivers: [brand, retailer]
','admin:tok_7d9c346110ad7031','2026-12-01 09:00:53.814559',NULL);
CREATE TABLE query_results (
	id VARCHAR(40) NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	request_key VARCHAR(64) NOT NULL, 
	template VARCHAR(20) NOT NULL, 
	request JSON NOT NULL, 
	datasets JSON NOT NULL, 
	policy_hash VARCHAR(64) NOT NULL, 
	effective_policy_hash VARCHAR(64) NOT NULL, 
	receivers JSON NOT NULL, 
	requested_by VARCHAR(100) NOT NULL, 
	epsilon VARCHAR(200) NOT NULL, 
	rows_suppressed INTEGER NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	body JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, request_key), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id)
);
CREATE TABLE upload_sessions (
	id VARCHAR(40) NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	member_id VARCHAR(40) NOT NULL, 
	dataset VARCHAR(64) NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	size BIGINT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	received BIGINT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	failure TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id), 
	FOREIGN KEY(member_id) REFERENCES members (id)
);
CREATE TABLE wrapped_match_keys (
	id INTEGER NOT NULL, 
	collaboration_id VARCHAR(40) NOT NULL, 
	generation INTEGER NOT NULL, 
	recipient_id VARCHAR(40) NOT NULL, 
	created_by VARCHAR(40) NOT NULL, 
	wrapped TEXT NOT NULL, 
	fingerprint VARCHAR(40) NOT NULL, 
	signature VARCHAR(100) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (collaboration_id, recipient_id, generation), 
	FOREIGN KEY(collaboration_id) REFERENCES collaborations (id), 
	FOREIGN KEY(recipient_id) REFERENCES members (id), 
	FOREIGN KEY(created_by) REFERENCES members (id)
);
CREATE INDEX ix_audit_entries_chain ON audit_entries (chain);
CREATE INDEX ix_audit_entries_collaboration_id ON audit_entries (collaboration_id);
CREATE INDEX ix_members_collaboration_id ON members (collaboration_id);
CREATE INDEX ix_policy_versions_collaboration_id ON policy_versions (collaboration_id);
CREATE INDEX ix_budget_ledger_collaboration_id ON budget_ledger (collaboration_id);
CREATE INDEX ix_query_results_collaboration_id ON query_results (collaboration_id);
CREATE INDEX ix_party_rules_collaboration_id ON party_rules (collaboration_id);
CREATE INDEX ix_api_tokens_member_id ON api_tokens (member_id);
CREATE INDEX ix_wrapped_match_keys_collaboration_id ON wrapped_match_keys (collaboration_id);
CREATE INDEX ix_policy_approvals_collaboration_id ON policy_approvals (collaboration_id);
CREATE INDEX ix_upload_sessions_collaboration_id ON upload_sessions (collaboration_id);
CREATE INDEX ix_datasets_collaboration_id ON datasets (collaboration_id);
CREATE INDEX ix_dataset_versions_collaboration_id ON dataset_versions (collaboration_id);
COMMIT;
