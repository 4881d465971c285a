/* Checks an audit event's inclusion proof in the browser, with WebCrypto only.
 *
 * The page (console/audit_event.html) names the proof's URL (the document of
 * GET /api/v1/audit/events/{id}/proof/) and the published audit keys (raw Ed25519, base64,
 * with their fingerprints). Four checks, as `python -m audit.verify_export --proof` makes them:
 *   leaf       SHA-256(0x00 || leaf_bytes) is the document's leaf_hash (RFC 6962 2.1)
 *   path       SHA-256(0x01 || left || right) along the audit path from that leaf hash
 *              reaches the head's root_hash (RFC 9162 2.1.3.2)
 *   signature  Ed25519 over "AFX-STH-v1" || tree_size u64 || timestamp_ms u64 || root_hash
 *              (audit/head_signature.py) under the key whose fingerprint (16 hex digits of
 *              SHA-256 of the raw key) is the head's key_id
 *   link       Ed25519 over "AFX-STH-LINK-v1" || number u64 || the head's bytes (audit/head_chain.py)
 * The hashing and signature primitives are audit_crypto.js's (window.AFXAudit), shared with
 * consistency.js. No inline code, no eval: the Content-Security-Policy allows neither. Texts
 * come from the page's data attributes, translated by Django.
 */
(function () {
  "use strict";

  var section = document.getElementById("proof");
  if (!section) { return; }
  var A = window.AFXAudit;

  var shown = A.verdict(section, "[data-testid=proof-result]");
  var text = shown.text;
  var show = shown.show;
  var showChecks = shown.checks;

  /* RFC 9162 2.1.3.2: the root computed from a leaf hash and its audit path, or null when the
   * path's length does not fit the index and size (padded or trimmed). */
  async function rootFromPath(index, size, leafHash, path) {
    if (!(index >= 0 && index < size)) { return null; }
    var fn = index, sn = size - 1, computed = leafHash;
    for (var i = 0; i < path.length; i++) {
      if (sn === 0) { return null; }
      if ((fn & 1) || fn === sn) {
        computed = await A.nodeHash(path[i], computed);
        while (fn !== 0 && (fn & 1) === 0) { fn >>= 1; sn >>= 1; }
      } else {
        computed = await A.nodeHash(computed, path[i]);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 ? computed : null;
  }

  async function check(doc) {
    var head = doc.head || {};
    var leafHash = await A.leafHash(A.encoder.encode(String(doc.leaf_bytes)));
    var keys = JSON.parse(section.getAttribute("data-keys") || "[]");
    var key = null;
    try { key = await A.keyFor(keys, head.key_id); } catch (error) { key = null; }
    return {
      leaf: await A.attempt(async function () { return A.equal(leafHash, A.fromBase64(doc.leaf_hash)); }),
      path: await A.attempt(async function () {
        var path = A.hashes(doc.proof);
        if (path === null) { return false; }
        var root = await rootFromPath(doc.leaf_index, head.tree_size, leafHash, path);
        return root !== null && A.equal(root, A.fromBase64(head.root_hash));
      }),
      signature: await A.attempt(function () { return A.verifies(key, head.signature, A.headBytes(head)); }),
      link: await A.attempt(function () { return A.verifies(key, head.link_signature, A.linkBytes(head)); }),
      keyFound: key !== null,
    };
  }

  async function run() {
    show("pending", section.querySelector("[data-testid=proof-result]").textContent);
    var doc;
    try {
      doc = await A.fetchJson(section.getAttribute("data-proof-url"));
    } catch (error) {
      showChecks(null);
      show("unavailable", text("unavailable"));
      return;
    }
    var results = await check(doc);
    var failed = showChecks(results);
    var head = doc.head || {};
    section.querySelector("[data-testid=proof-head]").textContent = text("head")
      .replace("{number}", String(head.number)).replace("{size}", String(head.tree_size))
      .replace("{key}", String(head.key_id));
    if (failed.length === 0) {
      show("pass", text("verified"));
    } else {
      show("fail", text("refuted") + " " + failed.join(", ") + (results.keyFound ? "" : " (" + text("no-key") + ")"));
    }
  }

  document.getElementById("proof-again").addEventListener("click", run);
  run();
})();
