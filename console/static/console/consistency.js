/* Checks in the browser, with WebCrypto only, that a later signed head extends an earlier one:
 * the log was only appended to between them.
 *
 * The page (console/audit_heads.html) lists the heads, names the consistency document's URL
 * (the document of GET /api/v1/audit/heads/consistency/?from=N&to=M) and the published audit
 * keys. Checks, as `python -m audit.verify_export` makes them for the heads export:
 *   heads      the document's heads are the two chosen (their tree sizes)
 *   from-*     the older head's Ed25519 signature and link signature (audit_crypto.js)
 *   to-*       the newer head's
 *   proof      the RFC 9162 2.1.4.2 consistency proof rebuilds the older head's root and
 *              leads from it to the newer head's root (AFXAudit.consistent, audit_crypto.js)
 * Texts come from the page's data attributes, translated by Django.
 */
(function () {
  "use strict";

  var section = document.getElementById("consistency");
  if (!section) { return; }
  var A = window.AFXAudit;

  var shown = A.verdict(section, "[data-testid=consistency-result]");
  var text = shown.text;
  var show = shown.show;
  var showChecks = shown.checks;

  async function headChecks(keys, head) {
    var key = null;
    try { key = await A.keyFor(keys, head.key_id); } catch (error) { key = null; }
    return {
      signature: await A.attempt(function () { return A.verifies(key, head.signature, A.headBytes(head)); }),
      link: await A.attempt(function () { return A.verifies(key, head.link_signature, A.linkBytes(head)); }),
      keyFound: key !== null,
    };
  }

  async function check(doc, fromSize, toSize) {
    var older = doc.from || {}, newer = doc.to || {};
    var keys = JSON.parse(section.getAttribute("data-keys") || "[]");
    var first = await headChecks(keys, older);
    var second = await headChecks(keys, newer);
    return {
      heads: older.tree_size === fromSize && newer.tree_size === toSize,
      "from-signature": first.signature,
      "from-link": first.link,
      "to-signature": second.signature,
      "to-link": second.link,
      proof: await A.attempt(function () {
        var proof = A.hashes(doc.proof);
        if (proof === null) { return false; }
        return A.consistent(older.tree_size, newer.tree_size, proof, A.fromBase64(older.root_hash), A.fromBase64(newer.root_hash));
      }),
      keyFound: first.keyFound && second.keyFound,
    };
  }

  async function run(event) {
    if (event) { event.preventDefault(); }
    var fromSize = Number(document.getElementById("id_from").value);
    var toSize = Number(document.getElementById("id_to").value);
    show("pending", text("checking"));
    var doc;
    try {
      var query = new URLSearchParams({ from: String(fromSize), to: String(toSize) });
      doc = await A.fetchJson(section.getAttribute("data-consistency-url") + "?" + query.toString());
    } catch (error) {
      showChecks(null);
      show("unavailable", text("unavailable"));
      return;
    }
    var results = await check(doc, fromSize, toSize);
    var failed = showChecks(results);
    if (failed.length === 0) {
      show("pass", text("verified").replace("{from}", String(fromSize)).replace("{to}", String(toSize)));
    } else {
      show("fail", text("refuted") + " " + failed.join(", ") + (results.keyFound ? "" : " (" + text("no-key") + ")"));
    }
  }

  document.getElementById("consistency-form").addEventListener("submit", run);
})();
