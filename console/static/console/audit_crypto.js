/* What the console's in-browser checks of the audit log share (proof.js, consistency.js),
 * with WebCrypto only: base64, SHA-256, the RFC 6962 node hash, the signed bytes of a head
 * and of its link, the RFC 9162 consistency check, and Ed25519 signature checks under the
 * published audit keys.
 *
 * The byte layouts are the server's own: a head is "AFX-STH-v1" || tree_size u64 ||
 * timestamp_ms u64 || root_hash (audit/head_signature.py); its link is "AFX-STH-LINK-v1" ||
 * number u64 || the head's bytes (audit/head_chain.py); a key's id is the first 16 hex digits
 * of SHA-256 of the raw key (audit/verify_export.py). Exposed as window.AFXAudit, for the
 * page scripts loaded after it (all `defer`, so in order). No inline code, no eval.
 */
(function () {
  "use strict";

  var subtle = window.crypto && window.crypto.subtle;
  var encoder = new TextEncoder();

  function fromBase64(value) {
    if (typeof value !== "string") { throw new Error("not base64"); }
    var binary = atob(value);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  function concat(parts) {
    var length = parts.reduce(function (sum, part) { return sum + part.length; }, 0);
    var out = new Uint8Array(length);
    var offset = 0;
    parts.forEach(function (part) { out.set(part, offset); offset += part.length; });
    return out;
  }

  function uint64(value) {
    var bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(value), false);
    return bytes;
  }

  /* Constant-time comparison of two byte arrays. */
  function equal(a, b) {
    if (a.length !== b.length) { return false; }
    var diff = 0;
    for (var i = 0; i < a.length; i++) { diff |= a[i] ^ b[i]; }
    return diff === 0;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function sha256(bytes) { return new Uint8Array(await subtle.digest("SHA-256", bytes)); }

  async function nodeHash(left, right) { return sha256(concat([new Uint8Array([1]), left, right])); }

  async function leafHash(bytes) { return sha256(concat([new Uint8Array([0]), bytes])); }

  /* A list of base64 hashes, or null when one is not 32 bytes (it cannot be a SHA-256). */
  function hashes(values) {
    var decoded = (values || []).map(fromBase64);
    return decoded.some(function (node) { return node.length !== 32; }) ? null : decoded;
  }

  /* RFC 9162 2.1.4.2, as audit/merkle.py verify_consistency: true when `proof` shows that the tree (size2, root2) extends the tree
   * (size1, root1). Equal sizes need an empty proof and the same root; from the empty tree a
   * proof shows nothing and fails, as on the server. Sizes stay below 2**31 (bit operations). */
  async function consistent(size1, size2, proof, root1, root2) {
    if (!(Number.isInteger(size1) && Number.isInteger(size2) && size1 > 0 && size2 >= size1)) { return false; }
    if (size1 === size2) { return proof.length === 0 && equal(root1, root2); }
    if (proof.length === 0) { return false; }
    var path = (size1 & (size1 - 1)) === 0 ? [root1].concat(proof) : proof.slice();
    var fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) { fn >>= 1; sn >>= 1; }
    var older = path[0], newer = path[0];
    for (var i = 1; i < path.length; i++) {
      if (sn === 0) { return false; }
      if ((fn & 1) || fn === sn) {
        older = await nodeHash(path[i], older);
        newer = await nodeHash(path[i], newer);
        while (fn !== 0 && (fn & 1) === 0) { fn >>= 1; sn >>= 1; }
      } else {
        newer = await nodeHash(newer, path[i]);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 && equal(older, root1) && equal(newer, root2);
  }

  function headBytes(head) {
    return concat([encoder.encode("AFX-STH-v1"), uint64(head.tree_size), uint64(head.timestamp_ms), fromBase64(head.root_hash)]);
  }

  function linkBytes(head) {
    return concat([encoder.encode("AFX-STH-LINK-v1"), uint64(head.number), headBytes(head)]);
  }

  /* The published key whose fingerprint is keyId, imported for Ed25519 checks, or null. A key
   * whose listed id is not its own fingerprint is never used. */
  async function keyFor(keys, keyId) {
    for (var i = 0; i < keys.length; i++) {
      var raw = fromBase64(keys[i].raw);
      var id = hex(await sha256(raw)).slice(0, 16);
      if (id === keys[i].id && id === keyId) {
        return subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
      }
    }
    return null;
  }

  async function verifies(key, signature, message) {
    if (key === null) { return false; }
    var bytes = fromBase64(signature);
    return bytes.length === 64 && subtle.verify({ name: "Ed25519" }, key, bytes, message);
  }

  /* A check on its own, so a page can say which failed; a malformed field fails its check. */
  async function attempt(check) {
    try { return (await check()) === true; } catch (error) { return false; }
  }

  /* The JSON document at url (the session's cookie), or an Error naming the status. */
  async function fetchJson(url) {
    var response = await fetch(url, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
    });
    if (!response.ok) { throw new Error(String(response.status)); }
    return response.json();
  }

  /* How a verifying page shows its outcome: its words (the section's data-text-* attributes,
   * in the page's language), the overall result in `resultSelector`, and each
   * `[data-check]` item passed or failed; `checks` returns the labels of those that failed. */
  function verdict(section, resultSelector) {
    function text(name) { return section.getAttribute("data-text-" + name) || ""; }
    function show(outcome, message) {
      var result = section.querySelector(resultSelector);
      result.setAttribute("data-outcome", outcome);
      result.textContent = message;
    }
    function checks(results) {
      var failed = [];
      section.querySelectorAll("[data-check]").forEach(function (item) {
        var passed = results === null ? false : results[item.getAttribute("data-check")] === true;
        item.setAttribute("data-outcome", passed ? "pass" : "fail");
        item.querySelector("strong").textContent = text(passed ? "pass" : "fail");
        if (!passed) { failed.push(item.querySelector(".label").textContent); }
      });
      return failed;
    }
    return { text: text, show: show, checks: checks };
  }

  window.AFXAudit = {
    attempt: attempt,
    concat: concat,
    consistent: consistent,
    encoder: encoder,
    equal: equal,
    fetchJson: fetchJson,
    fromBase64: fromBase64,
    hashes: hashes,
    headBytes: headBytes,
    keyFor: keyFor,
    leafHash: leafHash,
    linkBytes: linkBytes,
    nodeHash: nodeHash,
    verdict: verdict,
    verifies: verifies,
  };
})();
