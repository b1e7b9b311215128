"""Every stable error code a client or an operator can see, with what it means: the
table :mod:`gateway.errors` exports as ``ERROR_CODES``. A new refusal code goes here (the
OpenAPI document lists them; ``tests/unit/test_errors.py`` checks that raised codes are
registered)."""

from __future__ import annotations

__all__ = ["ERROR_CODES"]

#: Every stable code a client or an operator can see, with what it means.
ERROR_CODES: dict[str, str] = {
    # xml
    "xml.malformed": "the document is not well-formed XML",
    "xml.dtd": "a DOCTYPE / DTD is present (refused outright)",
    "xml.entity": "an entity declaration or reference is present",
    "xml.too_large": "the document exceeds the size limit",
    "xml.too_deep": "the element tree exceeds the depth limit",
    "xml.external_reference": "an external schema or stylesheet reference is present",
    # envelope / receipt
    "envelope.invalid": "the envelope is invalid",
    "envelope.schema": "the envelope or receipt does not match its XSD",
    "envelope.attachment_mismatch": "an attachment's bytes do not match its SHA-256 digest",
    "envelope.attachment_missing": "an attachment named in the manifest is missing",
    "envelope.expired": "the message is past its expiry time",
    "envelope.created_out_of_window": "the created time is too far from now",
    "envelope.sender_mismatch": "caller, signing certificate and sender field disagree",
    "envelope.bad_message_id": "a name-based (UUIDv5) message id not derived from an edXML "
    "DocumentId of the sender carried in the envelope",
    # signature
    "signature.invalid": "the signature does not verify",
    "signature.missing": "the document carries no signature",
    "signature.multiple": "the document carries more than one signature",
    "signature.misplaced": "the signature is not where the envelope keeps it",
    "signature.reference": "the reference does not cover the whole root element",
    "signature.transform": "a transform other than enveloped-signature and exc-c14n is used",
    "signature.algorithm": "a weak or unsupported algorithm (SHA-1, MD5, HMAC) is used",
    "signature.digest_mismatch": "the signed content was changed after signing",
    "signature.untrusted_certificate": "the certificate does not chain to the hub CA",
    "signature.certificate_expired": "the certificate is expired",
    "signature.certificate_not_yet_valid": "the certificate is not yet valid",
    "signature.certificate_revoked": "the certificate is revoked",
    "signature.key_mismatch": "the KeyInfo certificate is not the key that signed",
    "signature.key_usage": "the certificate may not be used for digital signatures",
    "signature.crl_stale": "the CRL is past its nextUpdate (fails closed)",
    "signature.wrapping": "signed content and returned content differ (wrapping attempt)",
    "signature.unsigned_content": "the Signature holds content no signature covers "
    "(e.g. an extra element in KeyInfo)",
    # pki
    "pki.error": "a PKI operation failed",
    "pki.no_ca": "the hub CA has not been created",
    "pki.ca_exists": "a hub CA already exists",
    "pki.bad_csr": "the CSR is malformed or its signature is invalid",
    "pki.bad_passphrase": "the key passphrase is missing or wrong",
    "pki.unknown_certificate": "no certificate with that unit or serial",
    "pki.no_signing_key": "the unit has no valid signing key on this hub",
    "pki.unit_revoked": "the unit's certificates were revoked; no key is issued until an "
    "administrator issues one (lienthong keys issue UNIT)",
    # directory / routing
    "directory.invalid": "the directory request is invalid",
    "directory.bad_unit_code": "the unit code does not match the code pattern",
    "directory.unknown_unit": "no such unit",
    "directory.unit_exists": "the unit already exists",
    "directory.unknown_group": "no such group",
    "directory.cycle": "the parent would create a cycle",
    "directory.unit_retired": "the unit is retired (or will be) and cannot change so",
    "directory.successor_retired": "the successor (or parent) is itself retired",
    "directory.plan_refused": "the restructuring plan has problems (all listed); nothing "
    "was applied",
    "directory.group_exists": "a group with that code already exists",
    "directory.unknown_token": "no token with that id (or value)",
    "directory.unit_in_use": "the unit has traffic, children, groups or live tokens "
    "and cannot be removed",
    "routing.unknown_recipient": "a recipient is neither a unit nor a group",
    "routing.no_recipients": "the message has no recipients",
    # receipts
    "routing.unit_retired": "the recipient is retired and this hub refuses it; the message "
    "names the successor to address",
    "receipt.illegal_transition": "the status is not allowed after the current state",
    "receipt.wrong_party": "only the recipient (or for 13 the sender) may post this; a "
    "signed receipt moves only its signer's own delivery",
    "receipt.unknown_status": "the status code or name is not known",
    "receipt.reason_required": "a rejection (02) without a reason (422)",
    "receipt.digest_mismatch": "the receipt answers a different envelope than the one stored",
    "receipt.not_found": "no such receipt, or not one the caller may see",
    "receipt.document_revoked": "the document was revoked by its sender: it takes no status "
    "but 15 or 16 (the answer to the revocation)",
    "receipt.out_of_order": "04, 05 or 06 before the recipient's first answer (01, 02 or 03)",
    "receipt.time_out_of_range": "the receipt's signed time is before the message was accepted "
    "or later than now, beyond [hub] receipt_clock_skew (422)",
    # edxml
    "edxml.invalid": "the edXML message is invalid",
    "edxml.malformed": "the edXML message is structurally broken",
    "edxml.unsupported": "the edXML message kind is not supported",
    "edxml.missing_field": "a required edXML element is missing (From, Subject, DocumentId…)",
    "edxml.bad_date": "an edXML date or timestamp cannot be read",
    "edxml.bad_status": "the edXML StatusCode is not one of QCVN 102:2016's codes",
    "edxml.bad_unit_code": "an edXML OrganId does not match the unit code pattern",
    "edxml.bad_document_id": "the DocumentId does not name the sending unit as its issuer "
    "(<unit code>,<date>,<number>) or is a name-based UUID",
    # message
    "message.not_found": "no such message (or not visible to the caller)",
    "message.duplicate_id": "the message id was used for a different message",
    "message.attachment_not_found": "no such attachment on the message",
    "mailbox.item_not_found": "no such mailbox item",
    "dead_letter.not_found": "no dead letter with that id (already retried or discarded)",
    "escalation.not_found": "no escalation send with that id (the mail's Message-ID "
    "<escalation.ID@…>, the webhook's X-Lienthong-Event)",
    "escalation.not_unknown": "the escalation send is not unknown (resolved already, or its "
    "outcome was recorded): nothing done (409)",
    "escalation.bad_action": "an unknown escalation send is resolved as sent or resend",
    "escalation.channel_off": "the hub has that channel (webhook, mail) configured no more: "
    "the send cannot go again (409)",
    # auth
    "auth.required": "no credentials were presented",
    "auth.invalid_token": "the bearer token is unknown or revoked",
    "auth.invalid_certificate": "the client certificate is not from the hub CA",
    "auth.unit_retired": "the credential's unit is retired (or not yet valid)",
    "auth.forbidden": "the caller may not do this",
    "auth.csrf": "the CSRF token is missing or wrong",
    "auth.invalid_password": "the username or password is wrong, or the account is disabled",
    "auth.account_locked": "too many wrong passwords in a row: the account is locked for a "
    "while (429; retry after Retry-After)",
    "person.exists": "a clerk's account with that username exists already",
    "person.not_found": "no clerk's account with that username",
    # limits / request
    "limit.body_too_large": "the request body exceeds the size limit",
    "limit.rate": "too many requests from this unit",
    "request.invalid": "the request is malformed",
    "request.bad_json": "the body is not valid JSON",
    "request.missing_field": "a required field is missing",
    "request.bad_urgency": "urgency is not an edXML Priority code (0 thường, 1 khẩn, 2 thượng "
    "khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ) or name (422)",
    "request.bad_reference": "a revoke, update or replace must refer to a document of the "
    "same sender that is not revoked (422)",
    "request.bad_range": "the Range header cannot be satisfied",
    "request.method_not_allowed": "the route does not accept this HTTP method",
    "request.bad_parameter": "a query or path parameter is malformed",
    "request.unsupported_media_type": "the Content-Type is not one the route accepts",
    "request.bad_header": "a header value is not ASCII text or holds control characters",
    "request.idempotency_conflict": "the Idempotency-Key was used by this unit for another "
    "request (422)",
    "request.idempotency_in_progress": "the first request with this Idempotency-Key is still "
    "running (409; retry after Retry-After)",
    "request.bad_text": "a text field holds a control character, a lone surrogate or U+FFFE/F",
    "request.bad_multipart": "the multipart body has no boundary, a wrong one, or a bad part",
    "request.malformed": "the request could not be parsed (any unexpected parsing failure)",
    "attachment.duplicate_name": "two attachments of one message have the same name",
    "attachment.unsigned": "a PDF lacks the signature of its signer or of the issuing "
    "organisation (policy refuse, 422)",
    "attachment.signature_invalid": "a PDF's signature is broken, changed after signing, "
    "expired or not from the PDF trust list, or the PDF is unreadable (policy refuse, 422)",
    "receipt.foreign_verdicts": "a receipt signed by a party carries PDF verdicts "
    "(urn:lienthong:pdfsig:1): only the hub states them (422)",
    "attachment.check_timeout": "checking a PDF's signatures needed more CPU than "
    "[pdf] check_cpu_seconds allows (a costly, possibly hostile file; policy refuse, 422)",
    "attachment.check_out_of_memory": "checking a PDF's signatures needed more memory than "
    "[pdf] check_memory_mib allows (a costly, possibly hostile file; policy refuse, 422)",
    "attachment.check_failed": "the process checking a PDF's signatures died before it "
    "answered (a crash, or killed from outside); the PDF was not checked (policy refuse, 422)",
    # evidence bundles (lienthong evidence verify; docs/evidence.md)
    "evidence.unreadable": "not a lienthong-evidence/1 zip, or a part of it is malformed",
    "evidence.manifest_signature": "manifest.sig does not hold, or the hub's certificate "
    "does not chain to the hub CA",
    "evidence.file_digest": "a file of the bundle is missing, extra, or not the one listed",
    "evidence.envelope": "the envelope's signature or contents do not hold",
    "evidence.receipt": "a receipt's signature does not hold, or it is another message's",
    "evidence.audit": "an audit entry does not hash to its hash, or does not link",
    "evidence.timestamp": "a timestamp token is invalid or over other bytes",
    "evidence.pdf": "a PDF's signatures, checked again, do not give the stated verdict",
    "evidence.pdf_check_limit": "checking a PDF of the bundle again needed more CPU or memory "
    "than --pdf-cpu-seconds / --pdf-memory-mib allow (a costly, possibly hostile file); "
    "not verified",
    "evidence.pdf_check_failed": "the process checking a PDF of the bundle again died before "
    "it answered; not verified",
    "limit.auth_failures": "too many failed authentications from this client (429)",
    "not_found": "no such route or object",
    "conflict": "the request conflicts with stored state",
    # config / dependencies
    "config.invalid": "the configuration is invalid",
    "store.unavailable": "the database cannot be reached",
    "hub.overloaded": "the hub holds as much accepted work as it is configured to: nothing "
    "was stored; retry after the Retry-After seconds (503)",
    "storage.full": "the blob store's disk is full: nothing was stored; retry later",
    "storage.unavailable": "the object store holding the blobs did not answer: nothing was "
    "stored; retry later",
    "bus.unavailable": "the message bus cannot be reached",
    "bus.timeout": "the bus did not confirm a publish in time (outcome unknown: retried)",
    "bus.nacked": "the broker refused a publish (negative confirm)",
    "bus.unroutable": "no mailbox is declared for the routing key (the message came back)",
    "bus.no_consumer": "a shared delivery queue held a message for a unit no handler of "
    "this process takes (retried, then dead-lettered)",
    "bus.unknown_topic": "the bus topic is neither documents nor receipts",
    "bus.topology_mismatch": "a bus queue exists with other arguments than configured",
    "adapter.unavailable": "an adapter's remote system cannot be reached",
    "adapter.unknown": "no adapter with that name",
    "adapter.rejected": "the unit's system refused the item for good (e.g. a 4xx answer)",
    "adapter.redirect": "the unit's endpoint redirected elsewhere (not followed)",
    # axis API (adapters/axis, docs/axis-api.md)
    "axis.unknown_system": "no axis system with that X-Axis-SystemId (or token subject)",
    "axis.bad_signature": "the X-Axis-Signature does not match the request",
    "axis.timestamp_out_of_window": "X-Axis-Timestamp is missing or too far from now",
    "axis.replayed": "this signed request was already used",
    "axis.invalid_client": "OAuth2 client id or secret is wrong",
    "axis.unsupported_grant_type": "the token endpoint only grants client_credentials",
    "axis.invalid_token": "the axis bearer token is malformed or its signature is wrong",
    "axis.token_expired": "the axis bearer token has expired",
    "axis.bad_message_type": "messagetype is not edoc/status, or does not match the body",
    "axis.sender_not_allowed": "the edXML From is a unit this axis system may not act for",
    "axis.bad_transport_status": "the transport status is not done or fail (or processing, /vxp)",
    # VXP-compatible endpoint (adapters/axis/vxp_*, docs/vxp.md)
    "vxp.bad_signature": "the XroadVnpt-hash-header does not match the signed header map",
    "vxp.bad_sign_header": "XroadVnpt-sign-header is not a JSON object of XroadVnpt-* strings",
    "vxp.header_mismatch": "an XroadVnpt-* header differs from its signed value",
    "vxp.insecure_transport": "/vxp over plain HTTP from a non-loopback address (use HTTPS)",
    "vxp.hash_file_missing": "sendEdoc without the hash-file header",
    "vxp.hash_file_mismatch": "the hash-file header does not match the posted edXML",
    "vxp.missing_header": "a header the operation needs (docId) is missing",
    "vxp.unknown_operation": "no VXP operation of that name",
    "vxp.agency_forbidden": "only a peer system registers units, below its own unit",
    "vxp.agency_delete_unsupported": "the directory never deletes a unit",
    "client.unreachable": "the CLI client could not reach the hub",
    "unavailable": "a dependency is unavailable",
    "gateway.error": "an internal error (details are in the hub's log, never in the reply)",
}
