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
 * No inline code, no eval: the Content-Security-Policy allows neither. Texts come from the
 * page's data attributes, translated by Django.
 */
(function () {
  "use strict";

  var section = document.getElementById("proof");
  if (!section) { return; }
  var subtle = window.crypto && window.crypto.subtle;
  var encoder = new TextEncoder();

  function text(name) { return section.getAttribute("data-text-" + name) || ""; }

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

  /* RFC 9162 2.1.3.2: the root computed from a leaf hash and its audit path, or null when the
   * path's length does not fit the index and size (padded or trimmed). */
  async function rootFromPath(index, size, leafHash, path) {
    if (!(index >= 0 && index < size)) { return null; }
    var fn = index, sn = size - 1, computed = leafHash;
    for (var i = 0; i < path.length; i++) {
      if (sn === 0) { return null; }
      if ((fn & 1) || fn === sn) {
        computed = await nodeHash(path[i], computed);
        while (fn !== 0 && (fn & 1) === 0) { fn >>= 1; sn >>= 1; }
      } else {
        computed = await nodeHash(computed, path[i]);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 ? computed : null;
  }

  function headBytes(head) {
    return concat([encoder.encode("AFX-STH-v1"), uint64(head.tree_size), uint64(head.timestamp_ms), fromBase64(head.root_hash)]);
  }

  async function keyFor(keyId) {
    var keys = JSON.parse(section.getAttribute("data-keys") || "[]");
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

  /* Each check on its own, so the page says which failed; a malformed field fails its check. */
  async function attempt(check) {
    try { return (await check()) === true; } catch (error) { return false; }
  }

  async function check(doc) {
    var head = doc.head || {};
    var leafHash = await sha256(concat([new Uint8Array([0]), encoder.encode(String(doc.leaf_bytes))]));
    var key = null;
    try { key = await keyFor(head.key_id); } catch (error) { key = null; }
    return {
      leaf: await attempt(async function () { return equal(leafHash, fromBase64(doc.leaf_hash)); }),
      path: await attempt(async function () {
        var path = (doc.proof || []).map(fromBase64);
        if (path.some(function (node) { return node.length !== 32; })) { return false; }
        var root = await rootFromPath(doc.leaf_index, head.tree_size, leafHash, path);
        return root !== null && equal(root, fromBase64(head.root_hash));
      }),
      signature: await attempt(function () { return verifies(key, head.signature, headBytes(head)); }),
      link: await attempt(function () {
        var message = concat([encoder.encode("AFX-STH-LINK-v1"), uint64(head.number), headBytes(head)]);
        return verifies(key, head.link_signature, message);
      }),
      keyFound: key !== null,
    };
  }

  function show(outcome, message) {
    var result = section.querySelector("[data-testid=proof-result]");
    result.setAttribute("data-outcome", outcome);
    result.textContent = message;
  }

  function showChecks(results) {
    var failed = [];
    section.querySelectorAll("[data-check]").forEach(function (item) {
      var name = item.getAttribute("data-check");
      var passed = results === null ? false : results[name] === true;
      item.setAttribute("data-outcome", passed ? "pass" : "fail");
      item.querySelector("strong").textContent = text(passed ? "pass" : "fail");
      if (!passed) { failed.push(item.querySelector(".label").textContent); }
    });
    return failed;
  }

  async function run() {
    show("pending", section.querySelector("[data-testid=proof-result]").textContent);
    var doc;
    try {
      var response = await fetch(section.getAttribute("data-proof-url"), {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      });
      if (!response.ok) { throw new Error(String(response.status)); }
      doc = await response.json();
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
