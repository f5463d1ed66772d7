#!/usr/bin/env node
// An Element-grade Matrix client for natter's end-to-end encryption tests:
// matrix-js-sdk with its Rust crypto (WASM), one user, driven over stdin.
//
// Each line on stdin is one JSON command, {"cmd": NAME, ...arguments}; each
// gets exactly one JSON line on stdout, {"ok": true, ...} or {"ok": false,
// "error": "..."}, in order ("id", when given, is echoed back). Everything
// else (the SDK's logging, the Rust crypto's tracing) goes to stderr;
// NATTER_PEER_LOG=debug lets debug lines through too. The crypto store lives
// in memory, so one process is one device for as long as it runs. When stdin
// closes, the commands already read are answered and the process exits 0.
//
// Every command may take timeout_ms (default 60000): how long it waits for
// the server and the sync; it is answered with an error by 10 s after that.
//   login {hs, user, password, device_name?} -> user_id, device_id,
//       curve25519, ed25519, one_time_keys: once its device and one-time
//       keys are on the server
//   create_dm {user_id} -> room_id: encrypted, is_direct, m.direct updated
//   create_room {name?, invite?, encrypted? (true), history_visibility?} -> room_id
//   join {room_id}; invite {room_id, user_id}; leave {room_id}
//   wait_member {room_id, user_id, membership? ("join")}: until this client sees it
//   send {room_id, body, msgtype?} -> event_id, encrypted
//   send_event {room_id, type, content} -> event_id, encrypted: any event
//       (a reaction, an edit), encrypted in an encrypted room
//   wait_message {room_id, event_id? | body_contains?, sender?} -> a message
//   messages {room_id, limit? (200)} -> messages: the timeline, oldest first
//   decrypt {event} -> a message: what this device makes of a raw event
//   devices {user_id} -> devices: device_id, curve25519, ed25519, verification...
//   raw_event {room_id, event_id} -> event: as the server serves it
//   cross_sign -> master: sets up cross-signing as Element does on a first
//       login (master, self-signing and user-signing keys, this device
//       signed), authenticating the upload with the login's password
//   bootstrap_recovery {passphrase?} -> recovery_key, key_id, backup_version,
//       master: Element's "Set up recovery": cross-signing (made unless this
//       device holds its keys),
//       a new default secret storage key (from the passphrase when given)
//       holding the cross-signing keys and the key of a new key backup
//   backup_wait {timeout_ms?} -> version, count, local: until every room key
//       this device holds (local) is in the server's backup (count sessions)
//   recover {recovery_key | passphrase} -> imported, total, failures, key_id,
//       backup_version, backing_up_to, master: on a new login, opens secret storage, takes
//       the cross-signing keys (this device gets signed) and the backup key,
//       and restores the whole backup
//   backup_keys -> version, algorithm, count, rooms {room: {session: {...}}},
//       undecryptable: the server's backup as this client's backup key reads it
//   secrets {recovery_key? | passphrase?, names?} -> secrets: the plaintext
//       of the cross-signing and backup secrets in secret storage
//   own_device_status -> signed_by_owner, cross_signing_verified,
//       cross_signing_ready, secret_storage_ready, master, backup_version...
//   user_status {user_id} -> verified, cross_signing_verified, ...
//   verify_request {user_id, device_id} -> transaction_id, ...: asks that
//       device (of a user whose devices the crypto tracks) to verify
//   verify_request_dm {user_id, room_id} -> transaction_id: a request in the
//       direct chat, as Element's "Verify" on a profile makes it
//   verify_wait_request {user_id?, timeout_ms?} -> transaction_id, from_user,
//       from_device: the next incoming request, accepted (.ready)
//   verify_start_sas {transaction_id}: once ready, starts SAS (.start)
//   verify_sas {transaction_id, timeout_ms?} -> emoji [[char, name] x7],
//       decimal [n, n, n]: once the strings can be shown. The side that did
//       not start accepts the other's start by itself, as Element does
//   verify_confirm / verify_mismatch / verify_cancel {transaction_id}: the
//       user says the strings match (MAC) / differ (m.mismatched_sas) /
//       cancels (m.user)
//   verify_status {transaction_id} -> phase, other_user, other_device, ...
//   verify_wait_done {transaction_id, timeout_ms?} -> phase "done" |
//       "cancelled", cancel_code, cancel_reason, cancelled_by, cancelled_by_me
//   wire {since?, path?} -> entries, last: what the SDK sent and received
//       about keys, secrets, backups and verification (see recordingFetch)
//   export_keys {passphrase, rounds? (500000)} -> file: every room key this
//       device holds, as Element's "Export E2E room keys" writes the file
//   import_keys {file, passphrase} -> imported, total: such a file's keys
//       (imported as the crypto's last progress report counted them)
//   isolation {signed} -> {}: with signed true, room keys go only to devices
//       their owner cross-signed, the others are told they are withheld
//       (Element's "only send to signed devices"); false: to every device
//   stop -> unhandled_rejections, then the process exits 0
// A message is {event_id, sender, type, wire_type, encrypted, decrypted,
// body, ...}: a failure to decrypt has body null, error_code and error.

import util from "node:util";
import readline from "node:readline";

// The SDK looks console methods up on each call: patched here, before it is
// loaded, nothing it logs can reach stdout and corrupt the answers.
const debugLog = (process.env.NATTER_PEER_LOG || "") === "debug";
function toStderr(level) {
    return (...args) => process.stderr.write(`peer ${level}: ${util.format(...args)}\n`);
}
console.log = toStderr("log");
console.info = toStderr("info");
console.warn = toStderr("warn");
console.error = toStderr("error");
console.debug = debugLog ? toStderr("debug") : () => {};
console.trace = debugLog ? toStderr("trace") : () => {};

await import("fake-indexeddb/auto");
const sdk = await import("matrix-js-sdk");
const { DeviceVerification } = await import("matrix-js-sdk/lib/models/device.js");
const {
    EventShieldColour, EventShieldReason, AllDevicesIsolationMode, OnlySignedDevicesIsolationMode,
    VerificationPhase, VerificationRequestEvent, CryptoEvent, decodeRecoveryKey, deriveRecoveryKeyFromPassphrase,
} = await import("matrix-js-sdk/lib/crypto-api/index.js");
// The Rust crypto's own key-file code (the one Element's export runs).
const { OlmMachine } = await import("@matrix-org/matrix-sdk-crypto-wasm");

const MEGOLM = "m.megolm.v1.aes-sha2";
const DEFAULT_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

let client = null;
let loginPassword = null; // for the cross-signing upload's authentication
let unhandled = 0;

// Secret storage keys this client knows, by key id: the one bootstrap_recovery
// made, or the one recover was given. getSecretStorageKey hands them out.
const secretStorageKeys = new Map();

// Verification requests by transaction id (the to-device flow id), and the
// incoming ones that verify_wait_request has not taken yet.
const verifications = new Map();
const incomingRequests = [];

// Every event the client was handed, per room, in arrival order: a limited
// sync resets the live timeline and drops what it held, and a message that
// arrived then must still be found. Resets are counted so that a wait pages
// back over the gap a reset leaves.
const seen = new Map();
const resets = new Map();

function remember(c) {
    c.on(sdk.RoomEvent.Timeline, (ev, r) => {
        if (!r || !ev.getId()) return;
        if (!seen.has(r.roomId)) seen.set(r.roomId, new Map());
        seen.get(r.roomId).set(ev.getId(), ev);
    });
    c.on(sdk.RoomEvent.TimelineReset, (r) => {
        if (r) resets.set(r.roomId, (resets.get(r.roomId) || 0) + 1);
    });
}

function fail(message) {
    throw new Error(message);
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls check (sync or async) until it returns something other than
// undefined/false/null; returns that, or throws naming what did not happen.
async function waitFor(check, timeoutMs, what, pollMs = POLL_MS) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value !== undefined && value !== false && value !== null) return value;
        if (Date.now() >= deadline) fail(`${what} did not happen within ${timeoutMs} ms`);
        await sleep(pollMs);
    }
}

// Rejects after ms with a message naming the command, whatever promise does.
function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(err) {
    if (err instanceof sdk.MatrixError) {
        return `${err.errcode || "error"} (HTTP ${err.httpStatus}): ${err.data?.error || err.message}`;
    }
    if (err instanceof Error) {
        // A failed fetch says only "fetch failed"; the reason is its cause.
        let root = err;
        while (root.cause instanceof Error) root = root.cause;
        const why = root === err ? "" : ` (${root.code || root.message})`;
        return (err.message || String(err)) + why;
    }
    return String(err);
}

function need(args, name, type = "string") {
    const value = args[name];
    if (type === "array" ? !Array.isArray(value) : typeof value !== type) {
        fail(`argument "${name}" must be a${type === "array" ? "n" : ""} ${type}`);
    }
    return value;
}

function loggedIn() {
    if (!client) fail("not logged in: send login first");
    return client;
}

function crypto() {
    return loggedIn().getCrypto();
}

function room(roomId) {
    const r = loggedIn().getRoom(roomId);
    if (!r) fail(`${roomId} is not a room this client knows`);
    return r;
}

// What this client said to the server and heard back about keys, secrets,
// backups and verification, in order: the requests whose path matches
// WIRE_PATHS with their JSON bodies and answers, and from each /sync the
// to-device events and account data it delivered (as the server sent them,
// before any decryption). The wire command reads it. Headers (the access
// token) are never kept, nor is anything on other paths (the login).
const WIRE_PATHS = /\/(sendToDevice|room_keys|account_data|keys\/(device_signing|signatures|query|upload|claim))(\/|$)/;
const WIRE_MAX = 5000;
const wireLog = [];
let wireSeq = 0;

// A body as kept: any "password" (the UIA of the cross-signing upload) blanked.
function redactPasswords(value) {
    if (Array.isArray(value)) return value.map(redactPasswords);
    if (!value || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) =>
        [k, k === "password" && typeof v === "string" ? "(redacted)" : redactPasswords(v)]));
}

function wireRecord(entry) {
    wireLog.push({ seq: ++wireSeq, ...entry });
    if (wireLog.length > WIRE_MAX) wireLog.splice(0, wireLog.length - WIRE_MAX);
}

function parseJson(text) {
    if (typeof text !== "string" || text === "") return text ?? null;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

// A fetch for the client that keeps the wire log.
async function recordingFetch(resource, init = {}) {
    const url = new URL(resource instanceof Request ? resource.url : String(resource));
    const method = (init.method || (resource instanceof Request ? resource.method : "GET")).toUpperCase();
    const path = decodeURIComponent(url.pathname);
    const isSync = /\/sync$/.test(path);
    const keep = isSync || WIRE_PATHS.test(path);
    const response = await fetch(resource, init);
    if (!keep) return response;
    let answer = null;
    try {
        answer = parseJson(await response.clone().text());
    } catch (err) {
        answer = `(unreadable: ${describeError(err)})`;
    }
    if (isSync) {
        const toDevice = answer?.to_device?.events || [];
        const accountData = answer?.account_data?.events || [];
        if (toDevice.length || accountData.length) {
            wireRecord({ kind: "sync", to_device: toDevice, account_data: accountData });
        }
    } else {
        const query = Object.fromEntries(url.searchParams);
        wireRecord({
            kind: "request", method, path, ...(Object.keys(query).length ? { query } : {}),
            body: typeof init.body === "string" ? redactPasswords(parseJson(init.body)) : null,
            status: response.status, response: answer,
        });
    }
    return response;
}

// A request of the peer's own (not the SDK's, so kept out of the wire log):
// the JSON answer, or a MatrixError.
async function serverRequest(c, method, path, { query, body } = {}) {
    const url = new URL(`/_matrix/client/v3${path}`, c.baseUrl);
    for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
    const response = await fetch(url, {
        method,
        headers: {
            Authorization: `Bearer ${c.getAccessToken()}`,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const data = parseJson(await response.text());
    if (!response.ok) throw new sdk.MatrixError(typeof data === "object" && data ? data : { error: String(data) },
        response.status, url.toString());
    return data;
}

// The server's own record of this device: its device keys are published and
// it has one-time keys to claim. Until both hold, nobody can start an Olm
// session with it and it would never receive a room key.
async function keysUploaded(c) {
    const me = c.getUserId();
    const device = c.getDeviceId();
    const query = await serverRequest(c, "POST", "/keys/query", { body: { device_keys: { [me]: [device] } } });
    const published = query.device_keys?.[me]?.[device];
    if (!published) return null;
    const counts = await serverRequest(c, "POST", "/keys/upload", { body: {} });
    const otks = counts.one_time_key_counts?.signed_curve25519 ?? 0;
    if (otks === 0) return null;
    return { published, otks };
}

async function cmdLogin(args) {
    if (client) fail(`already logged in as ${client.getUserId()}`);
    const hs = need(args, "hs");
    const user = need(args, "user");
    const password = need(args, "password");
    loginPassword = password;
    // The SDK words every connection failure as "fetch failed"; this says why.
    try {
        await fetch(new URL("/_matrix/client/versions", hs));
    } catch (err) {
        fail(`cannot reach the homeserver at ${hs}: ${describeError(err)}`);
    }
    const anonymous = sdk.createClient({ baseUrl: hs });
    const login = await anonymous.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user },
        password,
        initial_device_display_name: args.device_name || "natter test peer",
        ...(args.device_id ? { device_id: args.device_id } : {}),
    });
    const c = sdk.createClient({
        baseUrl: hs,
        userId: login.user_id,
        accessToken: login.access_token,
        deviceId: login.device_id,
        fetchFn: recordingFetch,
        cryptoCallbacks: {
            // Any key asked for that this client knows (keys: key id -> description).
            getSecretStorageKey: async ({ keys }) => {
                for (const keyId of Object.keys(keys)) {
                    if (secretStorageKeys.has(keyId)) return [keyId, secretStorageKeys.get(keyId)];
                }
                return null;
            },
            // bootstrapSecretStorage made a new default key.
            cacheSecretStorageKey: (keyId, _info, key) => secretStorageKeys.set(keyId, key),
        },
    });
    try {
        const started = await startClient(c);
        client = c;
        return started;
    } catch (err) {
        c.stopClient();
        throw err;
    }
}

// Starts c's crypto and sync; describes its device once its keys are on the server.
async function startClient(c) {
    await c.initRustCrypto({ useIndexedDB: false });
    remember(c);
    // To-device events as the crypto handed them on (decrypted, where they
    // came in m.room.encrypted), for the wire log.
    c.on(sdk.ClientEvent.ToDeviceEvent, (ev) => {
        wireRecord({ kind: "to_device", type: ev.getType(), sender: ev.getSender(), content: ev.getContent() });
    });
    c.on(CryptoEvent.VerificationRequestReceived, (request) => {
        track(request);
        incomingRequests.push(request);
    });
    const synced = new Promise((resolve) => {
        c.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
            if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing) resolve();
            if (state === sdk.SyncState.Error) {
                process.stderr.write(`peer: sync error: ${describeError(data?.error)}\n`);
            }
        });
    });
    await c.startClient({ initialSyncLimit: 50, lazyLoadMembers: false });
    await synced;
    const uploaded = await waitFor(() => keysUploaded(c), 30_000, "uploading this device's keys");
    const own = await c.getCrypto().getOwnDeviceKeys();
    const device = c.getDeviceId();
    const published = uploaded.published.keys || {};
    if (published[`curve25519:${device}`] !== own.curve25519 || published[`ed25519:${device}`] !== own.ed25519) {
        fail("the device keys on the server are not this device's keys");
    }
    return {
        user_id: c.getUserId(),
        device_id: device,
        curve25519: own.curve25519,
        ed25519: own.ed25519,
        one_time_keys: uploaded.otks,
    };
}

// The room's m.room.encryption content as the server holds it, or null.
async function serverEncryption(roomId) {
    try {
        return await loggedIn().getStateEvent(roomId, "m.room.encryption", "");
    } catch (err) {
        if (err instanceof sdk.MatrixError && err.errcode === "M_NOT_FOUND") return null;
        throw err;
    }
}

// Waits until the client has taken in what the server holds: this user
// joined, the crypto told of the room's encryption when the server has
// it, and every user in expectInvited seen invited or joined. A message
// sent after this is encrypted for all of them. (A sync can deliver a new
// room's state over a few steps: the room shows up before its encryption.)
async function roomReady(roomId, timeoutMs, expectInvited = []) {
    const c = loggedIn();
    const encrypted = (await serverEncryption(roomId)) !== null;
    return waitFor(
        async () => {
            const r = c.getRoom(roomId);
            if (!r || r.getMyMembership() !== "join") return null;
            if (encrypted && !(await c.getCrypto().isEncryptionEnabledInRoom(roomId))) return null;
            for (const u of expectInvited) {
                const m = r.getMember(u)?.membership;
                if (m !== "invite" && m !== "join") return null;
            }
            return r;
        },
        timeoutMs,
        `${roomId} being synced with this user joined${encrypted ? " and its encryption known" : ""}`,
    );
}

async function addDirect(userId, roomId) {
    const c = loggedIn();
    const content = { ...(c.getAccountData("m.direct")?.getContent() || {}) };
    const rooms = content[userId] || [];
    if (rooms.includes(roomId)) return;
    content[userId] = [...rooms, roomId];
    await c.setAccountData("m.direct", content);
}

async function createRoom({ name, invite = [], encrypted = true, history_visibility, is_direct = false, preset }) {
    const c = loggedIn();
    const initial_state = [];
    if (encrypted) initial_state.push({ type: "m.room.encryption", state_key: "", content: { algorithm: MEGOLM } });
    if (history_visibility) {
        initial_state.push({ type: "m.room.history_visibility", state_key: "", content: { history_visibility } });
    }
    const request = { preset: preset || (is_direct ? "trusted_private_chat" : "private_chat"), invite, initial_state };
    if (name !== undefined) request.name = name;
    if (is_direct) request.is_direct = true;
    const { room_id } = await c.createRoom(request);
    return room_id;
}

async function cmdCreateDm(args, timeoutMs) {
    const userId = need(args, "user_id");
    const roomId = await createRoom({ invite: [userId], encrypted: true, is_direct: true });
    await addDirect(userId, roomId);
    await roomReady(roomId, timeoutMs, [userId]);
    return { room_id: roomId };
}

async function cmdCreateRoom(args, timeoutMs) {
    const invite = args.invite === undefined ? [] : need(args, "invite", "array");
    const encrypted = args.encrypted === undefined ? true : need(args, "encrypted", "boolean");
    if (args.history_visibility !== undefined) need(args, "history_visibility");
    if (args.name !== undefined) need(args, "name");
    const roomId = await createRoom({ name: args.name, invite, encrypted, history_visibility: args.history_visibility });
    await roomReady(roomId, timeoutMs, invite);
    return { room_id: roomId };
}

async function cmdJoin(args, timeoutMs) {
    const c = loggedIn();
    const roomId = need(args, "room_id");
    const invite = c.getRoom(roomId)?.getMember(c.getUserId())?.events.member;
    await c.joinRoom(roomId);
    if (invite?.getContent().membership === "invite" && invite.getContent().is_direct) {
        await addDirect(invite.getSender(), roomId);
    }
    await roomReady(roomId, timeoutMs);
    return { room_id: roomId };
}

async function cmdInvite(args, timeoutMs) {
    const c = loggedIn();
    const roomId = need(args, "room_id");
    const userId = need(args, "user_id");
    room(roomId);
    await c.invite(roomId, userId);
    await roomReady(roomId, timeoutMs, [userId]);
    return {};
}

async function cmdLeave(args, timeoutMs) {
    const c = loggedIn();
    const roomId = need(args, "room_id");
    await c.leave(roomId);
    await waitFor(() => c.getRoom(roomId)?.getMyMembership() === "leave", timeoutMs, `leaving ${roomId}`);
    return {};
}

async function cmdWaitMember(args, timeoutMs) {
    const roomId = need(args, "room_id");
    const userId = need(args, "user_id");
    const membership = args.membership === undefined ? "join" : need(args, "membership");
    const wait = args.timeout_ms === undefined ? timeoutMs : need(args, "timeout_ms", "number");
    await waitFor(
        () => loggedIn().getRoom(roomId)?.getMember(userId)?.membership === membership,
        wait,
        `${userId} being seen with membership "${membership}" in ${roomId}`,
    );
    return {};
}

async function cmdSend(args, timeoutMs) {
    const body = need(args, "body");
    return sendEvent(args, "m.room.message", { msgtype: args.msgtype || "m.text", body },
        timeoutMs);
}

async function cmdSendEvent(args, timeoutMs) {
    return sendEvent(args, need(args, "type"), need(args, "content", "object"), timeoutMs);
}

async function sendEvent(args, type, content, timeoutMs) {
    const c = loggedIn();
    const roomId = need(args, "room_id");
    const r = room(roomId);
    if (r.getMyMembership() !== "join") fail(`not joined to ${roomId}`);
    // Never plaintext into a room the server says is encrypted.
    const encrypted = (await serverEncryption(roomId)) !== null;
    if (encrypted) {
        const known = () => c.getCrypto().isEncryptionEnabledInRoom(roomId);
        await waitFor(known, timeoutMs, `the crypto learning that ${roomId} is encrypted`);
    }
    const { event_id } = await c.sendEvent(roomId, type, content);
    return { event_id, encrypted };
}

const SHIELD_COLOURS = Object.fromEntries(Object.entries(EventShieldColour).map(([k, v]) => [v, k]));
const SHIELD_REASONS = Object.fromEntries(Object.entries(EventShieldReason).map(([k, v]) => [v, k]));

// What the client made of one event: the decrypted body, or why not.
async function describeEvent(ev) {
    const out = {
        event_id: ev.getId(),
        sender: ev.getSender(),
        type: ev.getType(),
        wire_type: ev.getWireType(),
        origin_server_ts: ev.getTs(),
        encrypted: ev.isEncrypted(),
        redacted: ev.isRedacted(),
    };
    if (ev.isEncrypted()) {
        const wire = ev.getWireContent();
        out.algorithm = wire.algorithm;
        out.session_id = wire.session_id;
        out.sender_device = wire.device_id;
        out.decrypted = !ev.isBeingDecrypted() && !ev.isDecryptionFailure() && ev.getClearContent() !== null;
    }
    if (ev.isDecryptionFailure()) {
        out.error_code = ev.decryptionFailureReason;
        out.error = ev.getContent().body;
        out.body = null;
        return out;
    }
    const content = ev.getContent();
    out.body = typeof content.body === "string" ? content.body : null;
    out.msgtype = content.msgtype;
    out.content = content;
    if (out.decrypted) {
        out.sender_curve25519 = ev.getSenderKey();
        out.sender_ed25519 = ev.getKeysClaimed().ed25519 ?? null;
        const info = await crypto().getEncryptionInfoForEvent(ev);
        if (info) {
            out.shield = SHIELD_COLOURS[info.shieldColour];
            out.shield_reason = info.shieldReason === null ? null : SHIELD_REASONS[info.shieldReason];
        }
    }
    return out;
}

// Decrypted, or never encrypted: its body is what the sender wrote.
function readable(ev) {
    return !ev.isBeingDecrypted() && !ev.isDecryptionFailure();
}

function isMessage(ev) {
    return ev.getType() === "m.room.message" || ev.getWireType() === "m.room.encrypted";
}

// The room's timeline, paged back from the server until at least limit
// events are held or the room's start is reached, each decryption finished.
async function timeline(r, limit) {
    const c = loggedIn();
    for (let pages = 0; pages < 50; pages++) {
        const live = r.getLiveTimeline();
        if (live.getEvents().length >= limit || !live.getPaginationToken(sdk.EventTimeline.BACKWARDS)) break;
        await c.scrollback(r, Math.min(100, limit));
    }
    const events = r.getLiveTimeline().getEvents().slice(-limit);
    await Promise.all(events.map((ev) => c.decryptEventIfNeeded(ev)));
    return events;
}

async function cmdMessages(args) {
    const r = room(need(args, "room_id"));
    const limit = args.limit === undefined ? 200 : need(args, "limit", "number");
    const events = await timeline(r, limit);
    const messages = [];
    for (const ev of events) if (isMessage(ev)) messages.push(await describeEvent(ev));
    return { messages };
}

// Waits for a message in a room: by event_id (answering with whatever the
// client made of it by the deadline, a decryption failure included), or by
// body_contains (a decrypted or plain body; sender narrows it).
async function cmdWaitMessage(args) {
    const c = loggedIn();
    const roomId = need(args, "room_id");
    const eventId = args.event_id === undefined ? undefined : need(args, "event_id");
    const contains = args.body_contains === undefined ? undefined : need(args, "body_contains");
    const sender = args.sender === undefined ? undefined : need(args, "sender");
    if (eventId === undefined && contains === undefined) fail("give event_id or body_contains");
    const wait = args.timeout_ms === undefined ? 30_000 : need(args, "timeout_ms", "number");
    const deadline = Date.now() + wait;
    let pagedAt = null;
    let found = null;
    const matches = (ev) =>
        isMessage(ev) &&
        (eventId === undefined || ev.getId() === eventId) &&
        (sender === undefined || ev.getSender() === sender) &&
        (contains === undefined || (readable(ev) && String(ev.getContent().body ?? "").includes(contains)));
    for (;;) {
        const r = c.getRoom(roomId);
        if (r) {
            if (pagedAt !== (resets.get(roomId) || 0)) {
                pagedAt = resets.get(roomId) || 0;
                await timeline(r, 100);
            }
            found = [...(seen.get(roomId)?.values() || [])].find(matches) || null;
            if (found && readable(found)) return describeEvent(found);
        }
        if (Date.now() >= deadline) break;
        await sleep(POLL_MS);
    }
    if (found && !found.isBeingDecrypted()) return describeEvent(found);
    const undecryptable = [...(seen.get(roomId)?.values() || [])]
        .filter((ev) => ev.isDecryptionFailure())
        .map((ev) => `${ev.getId()} from ${ev.getSender()}: ${ev.decryptionFailureReason}`);
    const what = eventId !== undefined ? `event ${eventId}` : `a message containing ${JSON.stringify(contains)}`;
    const known = c.getRoom(roomId)
        ? `; events that could not be decrypted: ${undecryptable.join(", ") || "none"}`
        : "; the room is not known";
    fail(`${what} did not arrive in ${roomId} within ${wait} ms${known}`);
}

// Decrypts an event given as the server serves it (from raw_event, say):
// what this device can make of it, whatever its timeline holds.
async function cmdDecrypt(args) {
    const c = loggedIn();
    const raw = need(args, "event", "object");
    if (!raw || raw.type !== "m.room.encrypted") fail('argument "event" must be an m.room.encrypted event');
    const ev = new sdk.MatrixEvent({ ...raw, room_id: raw.room_id || args.room_id });
    await c.decryptEventIfNeeded(ev);
    return describeEvent(ev);
}

async function cmdDevices(args) {
    const userId = need(args, "user_id");
    const map = await crypto().getUserDeviceInfo([userId], true);
    const devices = [];
    for (const d of map.get(userId)?.values() || []) {
        const status = await crypto().getDeviceVerificationStatus(userId, d.deviceId);
        devices.push({
            device_id: d.deviceId,
            display_name: d.displayName ?? null,
            curve25519: d.getIdentityKey() ?? null,
            ed25519: d.getFingerprint() ?? null,
            algorithms: d.algorithms,
            verification: d.verified === DeviceVerification.Verified ? "verified"
                : d.verified === DeviceVerification.Blocked ? "blocked" : "unverified",
            signed_by_owner: status?.signedByOwner ?? false,
            cross_signing_verified: status?.crossSigningVerified ?? false,
            locally_verified: status?.localVerified ?? false,
        });
    }
    return { devices };
}

// Answers the server's user-interactive authentication with the login's
// password, as Element does when it asks the user for theirs.
async function passwordAuth(makeRequest) {
    await makeRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: loggedIn().getUserId() },
        password: loginPassword,
    });
}

async function cmdCrossSign() {
    await crypto().bootstrapCrossSigning({ setupNewCrossSigning: true, authUploadDeviceSigningKeys: passwordAuth });
    const master = await crypto().getCrossSigningKeyId();
    if (!master) fail("cross-signing did not come up");
    return { master };
}

// The latest key backup version on the server, or null.
async function serverBackup() {
    try {
        return await serverRequest(loggedIn(), "GET", "/room_keys/version");
    } catch (err) {
        if (err instanceof sdk.MatrixError && err.errcode === "M_NOT_FOUND") return null;
        throw err;
    }
}

// Every session of a backup version as the server holds it: room id -> session id -> key data.
async function serverBackupSessions(version) {
    const all = await serverRequest(loggedIn(), "GET", "/room_keys/keys", { query: { version } });
    const rooms = {};
    for (const [roomId, data] of Object.entries(all.rooms || {})) rooms[roomId] = data.sessions || {};
    return rooms;
}

function countSessions(rooms) {
    return Object.values(rooms).reduce((n, sessions) => n + Object.keys(sessions).length, 0);
}

// Element's "Set up recovery": cross-signing (made if there is none, the
// upload authenticated with the password), a new default secret storage key
// (from the passphrase when given), the cross-signing private keys stored
// under it, and a new key backup whose key is stored there too.
async function cmdBootstrapRecovery(args, timeoutMs) {
    const c = loggedIn();
    const passphrase = args.passphrase === undefined ? undefined : need(args, "passphrase");
    await crypto().bootstrapCrossSigning({ authUploadDeviceSigningKeys: passwordAuth });
    const generated = await crypto().createRecoveryKeyFromPassphrase(passphrase);
    await crypto().bootstrapSecretStorage({
        createSecretStorageKey: async () => generated,
        setupNewSecretStorage: true,
        setupNewKeyBackup: true,
    });
    const keyId = await c.secretStorage.getDefaultKeyId();
    if (!keyId || !secretStorageKeys.has(keyId)) fail("secret storage has no new default key");
    const backup = await serverBackup();
    if (!backup) fail("no key backup on the server");
    await waitFor(async () => (await crypto().getActiveSessionBackupVersion()) === backup.version,
        timeoutMs, `backing up to the new key backup version ${backup.version}`);
    // Ready once the account data written comes back through the sync.
    await waitFor(async () => (await crypto().isSecretStorageReady()) || null, timeoutMs,
        "secret storage becoming ready");
    return {
        recovery_key: generated.encodedPrivateKey,
        key_id: keyId,
        backup_version: backup.version,
        master: await crypto().getCrossSigningKeyId(),
    };
}

// Waits until every room key this device holds is in the server's backup.
async function cmdBackupWait(args, timeoutMs) {
    const wait = args.timeout_ms === undefined ? timeoutMs : need(args, "timeout_ms", "number");
    await crypto().checkKeyBackupAndEnable();
    const version = await waitFor(() => crypto().getActiveSessionBackupVersion(), wait,
        "key backup being enabled");
    let count = 0;
    let local = 0;
    await waitFor(async () => {
        const held = JSON.parse(await crypto().exportRoomKeysAsJson());
        const rooms = await serverBackupSessions(version);
        local = held.length;
        count = countSessions(rooms);
        return held.every((k) => rooms[k.room_id]?.[k.session_id] !== undefined);
    }, wait, `every room key of this device being in backup version ${version}`, 500);
    return { version, count, local };
}

// Takes a recovery key (or the passphrase it came from) for the default
// secret storage key: checked against the key's description, it opens the
// storage for this client.
async function openSecretStorage(args) {
    const c = loggedIn();
    const keyId = await c.secretStorage.getDefaultKeyId();
    if (!keyId) fail("the account has no default secret storage key");
    const [, info] = (await c.secretStorage.getKey(keyId)) || [];
    if (!info) fail(`no description of secret storage key ${keyId}`);
    let key;
    if (args.recovery_key !== undefined) {
        key = decodeRecoveryKey(need(args, "recovery_key"));
    } else if (args.passphrase !== undefined) {
        if (!info.passphrase) fail(`secret storage key ${keyId} was not made from a passphrase`);
        key = await deriveRecoveryKeyFromPassphrase(need(args, "passphrase"), info.passphrase.salt,
            info.passphrase.iterations);
    } else {
        fail("give recovery_key or passphrase");
    }
    if (!(await c.secretStorage.checkKey(key, info))) fail(`that is not the key of secret storage key ${keyId}`);
    secretStorageKeys.set(keyId, key);
    return keyId;
}

// On a new login of a user with recovery set up, as Element's "Verify with
// Recovery Key" then "Restore from backup": the cross-signing keys are
// taken from secret storage (this device gets signed), then the backup key,
// and the whole backup is restored.
async function cmdRecover(args) {
    const c = loggedIn();
    const keyId = await openSecretStorage(args);
    for (const name of ["m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing"]) {
        if (!(await c.secretStorage.isStored(name))) fail(`${name} is not in secret storage`);
    }
    // With the keys in secret storage this imports them and signs this device;
    // with no upload authentication it cannot make new ones.
    await crypto().bootstrapCrossSigning({});
    const status = await crypto().getCrossSigningStatus();
    const cached = status.privateKeysCachedLocally;
    if (!cached.masterKey || !cached.selfSigningKey || !cached.userSigningKey) {
        fail(`the cross-signing keys were not taken from secret storage: ${JSON.stringify(status)}`);
    }
    await crypto().loadSessionBackupPrivateKeyFromSecretStorage();
    await crypto().checkKeyBackupAndEnable();
    let progress = null;
    const result = await crypto().restoreKeyBackup({ progressCallback: (p) => { progress = p; } });
    return {
        imported: result.imported,
        total: result.total,
        failures: progress?.failures ?? 0,
        key_id: keyId,
        backup_version: (await serverBackup())?.version ?? null,
        // null when the crypto does not trust the backup's signatures (it then restores, but does not back up)
        backing_up_to: await crypto().getActiveSessionBackupVersion(),
        master: await crypto().getCrossSigningKeyId(),
    };
}

// What a room key in Megolm's export format (the session_key of a backup
// or key file entry: 0x01, the 32-bit message index, the 128-byte ratchet,
// the session's Ed25519 key) says of itself: its index and its session id.
function exportedSessionKey(text) {
    const raw = Buffer.from(String(text || ""), "base64");
    if (raw.length !== 1 + 4 + 128 + 32 || raw[0] !== 1) return { index: null, session_id: null };
    return {
        index: raw.readUInt32BE(1),
        session_id: raw.subarray(133).toString("base64").replace(/=+$/, ""),
    };
}

// The server's key backup as this client's backup key decrypts it.
async function cmdBackupKeys() {
    const backup = await serverBackup();
    if (!backup) fail("no key backup on the server");
    const key = await crypto().getSessionBackupPrivateKey();
    if (!key) fail("this client has no backup key: bootstrap_recovery or recover first");
    const decryptor = await crypto().getBackupDecryptor(backup, key);
    const rooms = {};
    const undecryptable = [];
    let count = 0;
    try {
        for (const [roomId, sessions] of Object.entries(await serverBackupSessions(backup.version))) {
            const decrypted = await decryptor.decryptSessions(sessions);
            const byId = new Map(decrypted.map((d) => [d.session_id, d]));
            rooms[roomId] = {};
            for (const [sessionId, stored] of Object.entries(sessions)) {
                count++;
                const d = byId.get(sessionId);
                if (!d) {
                    undecryptable.push({ room_id: roomId, session_id: sessionId });
                    continue;
                }
                const own = exportedSessionKey(d.session_key);
                rooms[roomId][sessionId] = {
                    // from the session key itself: must be the id it is filed
                    // under and the first_message_index the server was told
                    key_session_id: own.session_id,
                    key_index: own.index,
                    algorithm: d.algorithm,
                    sender_key: d.sender_key,
                    sender_claimed_keys: d.sender_claimed_keys,
                    forwarding_curve25519_key_chain: d.forwarding_curve25519_key_chain,
                    first_message_index: stored.first_message_index,
                    forwarded_count: stored.forwarded_count,
                    is_verified: stored.is_verified,
                };
            }
        }
    } finally {
        decryptor.free();
    }
    return { version: backup.version, algorithm: backup.algorithm, count, rooms, undecryptable };
}

// The plaintext of the secrets in secret storage (opened by bootstrap_recovery
// or recover, or with recovery_key / passphrase here), null for those not stored.
async function cmdSecrets(args) {
    const c = loggedIn();
    if (args.recovery_key !== undefined || args.passphrase !== undefined) await openSecretStorage(args);
    const names = args.names === undefined
        ? ["m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing", "m.megolm_backup.v1"]
        : need(args, "names", "array");
    const secrets = {};
    for (const name of names) secrets[name] = (await c.secretStorage.isStored(name)) ? await c.secretStorage.get(name) : null;
    return { secrets };
}

async function cmdOwnDeviceStatus() {
    const c = loggedIn();
    const status = await crypto().getDeviceVerificationStatus(c.getUserId(), c.getDeviceId());
    const cs = await crypto().getCrossSigningStatus();
    return {
        user_id: c.getUserId(),
        device_id: c.getDeviceId(),
        signed_by_owner: status?.signedByOwner ?? false,
        cross_signing_verified: status?.crossSigningVerified ?? false,
        locally_verified: status?.localVerified ?? false,
        cross_signing_ready: await crypto().isCrossSigningReady(),
        secret_storage_ready: await crypto().isSecretStorageReady(),
        cross_signing: {
            public_keys_on_device: cs.publicKeysOnDevice,
            private_keys_in_secret_storage: cs.privateKeysInSecretStorage,
            master_cached: cs.privateKeysCachedLocally.masterKey,
            self_signing_cached: cs.privateKeysCachedLocally.selfSigningKey,
            user_signing_cached: cs.privateKeysCachedLocally.userSigningKey,
        },
        master: await crypto().getCrossSigningKeyId(),
        backup_version: await crypto().getActiveSessionBackupVersion(),
        backup_key_cached: (await crypto().getSessionBackupPrivateKey()) !== null,
    };
}

async function cmdUserStatus(args) {
    const userId = need(args, "user_id");
    await crypto().getUserDeviceInfo([userId], true);
    const status = await crypto().getUserVerificationStatus(userId);
    return {
        user_id: userId,
        verified: status.isVerified(),
        cross_signing_verified: status.isCrossSigningVerified(),
        was_cross_signing_verified: status.wasCrossSigningVerified(),
        needs_user_approval: status.needsUserApproval,
    };
}

// Interactive verification (to-device, SAS), one step per command.

const PHASES = Object.fromEntries(Object.entries(VerificationPhase).filter(([k]) => isNaN(Number(k)))
    .map(([k, v]) => [v, k.toLowerCase()]));

const VERIFICATION_METHODS = ["m.sas.v1", "m.qr_code.show.v1", "m.qr_code.scan.v1", "m.reciprocate.v1"];

function verification(args) {
    const txn = need(args, "transaction_id");
    const record = verifications.get(txn);
    if (!record) fail(`no verification request ${txn} is known`);
    return record;
}

// What a request is now: its phase and, once cancelled, who cancelled and why.
function describeRequest(request) {
    const out = {
        transaction_id: request.transactionId,
        phase: PHASES[request.phase] || String(request.phase),
        initiated_by_me: request.initiatedByMe,
        other_user: request.otherUserId,
        // (the SDK forgets the other device once the request is done)
        other_device: request.otherDeviceId ?? request._peerOtherDevice ?? null,
        their_methods: VERIFICATION_METHODS.filter((m) => request.otherPartySupportsMethod(m)),
        chosen_method: request.chosenMethod,
    };
    if (request.phase === VerificationPhase.Cancelled) {
        out.cancel_code = request.cancellationCode;
        out.cancelled_by = request.cancellingUserId ?? null;
        // The reason text is only on the Rust request (the SDK does not pass it on).
        out.cancel_reason = request.inner?.cancelInfo?.reason() ?? null;
        out.cancelled_by_me = request.inner?.cancelInfo?.cancelledbyUs() ?? null;
    }
    return out;
}

function cancelled(request, what) {
    const d = describeRequest(request);
    return new Error(`${what}: the verification was cancelled (${d.cancel_code}: ${d.cancel_reason}) ` +
        `by ${d.cancelled_by}`);
}

// Runs verifier.verify() (it sends the SAS accept when the other side
// started, and settles when the verification ends) once per request.
function runVerifier(request, verifier) {
    if (request._peerVerifying) return;
    request._peerVerifying = verifier.verify().then(
        () => "done",
        (err) => `verify() ended: ${describeError(err)}`,
    );
}

// Keeps a request by its transaction id and, as Element's verification
// panel does, takes up the other side's SAS start (m.key.verification.accept)
// as soon as it comes: the user is only asked to compare the strings.
function track(request) {
    if (request.transactionId) verifications.set(request.transactionId, request);
    const follow = () => {
        if (request.otherDeviceId) request._peerOtherDevice = request.otherDeviceId;
        if (request.verifier) runVerifier(request, request.verifier);
    };
    request.on(VerificationRequestEvent.Change, follow);
    follow();
}

async function cmdVerifyRequest(args, timeoutMs) {
    const userId = need(args, "user_id");
    const deviceId = need(args, "device_id");
    // Known first: the request goes only to a device the crypto tracks, and
    // it tracks the devices of users it shares an encrypted room with.
    await waitFor(async () => (await crypto().getDeviceVerificationStatus(userId, deviceId)) !== null,
        timeoutMs, `device ${deviceId} of ${userId} becoming known to the crypto (it tracks the ` +
        "devices of its own user and of those it shares an encrypted room with)");
    const request = await crypto().requestDeviceVerification(userId, deviceId);
    if (!request.transactionId) fail("the request has no transaction id");
    track(request);
    return describeRequest(request);
}

// Element's "Verify" on a user's profile: a request in the direct chat
// (m.key.verification.request as a room message); its transaction id is
// the request's event id, once sent.
async function cmdVerifyRequestDm(args, timeoutMs) {
    const userId = need(args, "user_id");
    const roomId = need(args, "room_id");
    // The user's identity (cross-signing keys), as the server has it now:
    // a user without one cannot be verified this way.
    await crypto().getUserDeviceInfo([userId], true);
    const request = await crypto().requestVerificationDM(userId, roomId);
    await waitFor(() => request.transactionId || null, timeoutMs, "the request being sent");
    track(request);
    return describeRequest(request);
}

async function cmdVerifyWaitRequest(args, timeoutMs) {
    const userId = args.user_id === undefined ? undefined : need(args, "user_id");
    const wait = args.timeout_ms === undefined ? timeoutMs : need(args, "timeout_ms", "number");
    const request = await waitFor(() => {
        const i = incomingRequests.findIndex((r) => userId === undefined || r.otherUserId === userId);
        return i < 0 ? null : incomingRequests.splice(i, 1)[0];
    }, wait, `a verification request${userId ? ` from ${userId}` : ""}`);
    if (!request.transactionId) fail("the incoming request has no transaction id");
    verifications.set(request.transactionId, request);
    if (request.phase === VerificationPhase.Cancelled) throw cancelled(request, "accepting");
    await request.accept();
    return { ...describeRequest(request), from_user: request.otherUserId, from_device: request.otherDeviceId ?? null };
}

// Starts SAS as the starter (m.key.verification.start) once the request is ready.
async function cmdVerifyStartSas(args, timeoutMs) {
    const request = verification(args);
    await waitFor(() => {
        if (request.phase === VerificationPhase.Cancelled) throw cancelled(request, "starting SAS");
        return request.phase === VerificationPhase.Ready;
    }, timeoutMs, `verification ${request.transactionId} becoming ready`);
    const verifier = await request.startVerification("m.sas.v1");
    runVerifier(request, verifier);
    return describeRequest(request);
}

// Waits until the short authentication strings can be shown (for the side
// that did not start, once its accept went out: see track).
async function cmdVerifySas(args, timeoutMs) {
    const request = verification(args);
    const wait = args.timeout_ms === undefined ? timeoutMs : need(args, "timeout_ms", "number");
    const callbacks = await waitFor(() => {
        if (request.phase === VerificationPhase.Cancelled) throw cancelled(request, "waiting for SAS");
        return request.verifier?.getShowSasCallbacks();
    }, wait, `the short authentication string of verification ${request.transactionId}`);
    request._peerSas = callbacks;
    return {
        ...describeRequest(request),
        emoji: callbacks.sas.emoji ?? null,
        decimal: callbacks.sas.decimal ?? null,
    };
}

function shownSas(request) {
    if (!request._peerSas) fail(`verification ${request.transactionId}: no SAS shown yet (verify_sas first)`);
    return request._peerSas;
}

async function cmdVerifyConfirm(args) {
    const request = verification(args);
    await shownSas(request).confirm();
    return describeRequest(request);
}

async function cmdVerifyMismatch(args) {
    const request = verification(args);
    shownSas(request).mismatch();
    return describeRequest(request);
}

async function cmdVerifyCancel(args) {
    const request = verification(args);
    await request.cancel();
    return describeRequest(request);
}

async function cmdVerifyStatus(args) {
    return describeRequest(verification(args));
}

async function cmdVerifyWaitDone(args, timeoutMs) {
    const request = verification(args);
    const wait = args.timeout_ms === undefined ? timeoutMs : need(args, "timeout_ms", "number");
    await waitFor(() => request.phase === VerificationPhase.Done || request.phase === VerificationPhase.Cancelled,
        wait, `verification ${request.transactionId} ending`);
    const out = describeRequest(request);
    if (request._peerVerifying) out.verifier = await request._peerVerifying;
    return out;
}

// The wire log (see recordingFetch): entries after seq since, the requests
// among them narrowed to paths matching the regular expression path.
async function cmdWire(args) {
    const since = args.since === undefined ? 0 : need(args, "since", "number");
    const path = args.path === undefined ? null : new RegExp(need(args, "path"));
    const entries = wireLog.filter((e) => e.seq > since && (!path || e.kind !== "request" || path.test(e.path)));
    return { entries, last: wireSeq };
}

async function cmdRawEvent(args) {
    const event = await loggedIn().fetchRoomEvent(need(args, "room_id"), need(args, "event_id"));
    return { event };
}

async function cmdExportKeys(args) {
    const json = await loggedIn().getCrypto().exportRoomKeysAsJson();
    const rounds = args.rounds === undefined ? 500000 : args.rounds;
    return { file: OlmMachine.encryptExportedRoomKeys(json, need(args, "passphrase"), rounds) };
}

async function cmdImportKeys(args) {
    const json = OlmMachine.decryptExportedRoomKeys(need(args, "file"), need(args, "passphrase"));
    let imported = 0, total = 0;
    await loggedIn().getCrypto().importRoomKeysAsJson(json, {
        progressCallback: (p) => { imported = p.successes; total = p.total; },
    });
    return { imported, total };
}

async function cmdIsolation(args) {
    const signed = need(args, "signed", "boolean");
    loggedIn().getCrypto().setDeviceIsolationMode(
        signed ? new OnlySignedDevicesIsolationMode() : new AllDevicesIsolationMode(false));
    return {};
}

let stopping = false;

async function shutdown(status) {
    if (stopping) return;
    stopping = true;
    if (client) {
        client.stopClient();
    }
    process.exit(status);
}

async function cmdStop() {
    return { unhandled_rejections: unhandled };
}

const COMMANDS = {
    backup_keys: cmdBackupKeys,
    backup_wait: cmdBackupWait,
    bootstrap_recovery: cmdBootstrapRecovery,
    create_dm: cmdCreateDm,
    create_room: cmdCreateRoom,
    cross_sign: cmdCrossSign,
    decrypt: cmdDecrypt,
    devices: cmdDevices,
    export_keys: cmdExportKeys,
    import_keys: cmdImportKeys,
    invite: cmdInvite,
    isolation: cmdIsolation,
    join: cmdJoin,
    leave: cmdLeave,
    login: cmdLogin,
    messages: cmdMessages,
    own_device_status: cmdOwnDeviceStatus,
    raw_event: cmdRawEvent,
    recover: cmdRecover,
    secrets: cmdSecrets,
    send: cmdSend,
    send_event: cmdSendEvent,
    stop: cmdStop,
    user_status: cmdUserStatus,
    verify_cancel: cmdVerifyCancel,
    verify_confirm: cmdVerifyConfirm,
    verify_mismatch: cmdVerifyMismatch,
    verify_request: cmdVerifyRequest,
    verify_request_dm: cmdVerifyRequestDm,
    verify_sas: cmdVerifySas,
    verify_start_sas: cmdVerifyStartSas,
    verify_status: cmdVerifyStatus,
    verify_wait_done: cmdVerifyWaitDone,
    verify_wait_request: cmdVerifyWaitRequest,
    wait_member: cmdWaitMember,
    wait_message: cmdWaitMessage,
    wire: cmdWire,
};

async function handle(args) {
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
        return { ok: false, error: "a command is a JSON object" };
    }
    const id = args.id === undefined ? {} : { id: args.id };
    const handler = Object.hasOwn(COMMANDS, args.cmd) ? COMMANDS[args.cmd] : null;
    if (!handler) {
        return { ok: false, ...id, error: `unknown command ${JSON.stringify(args.cmd)}; known: ${Object.keys(COMMANDS).join(", ")}` };
    }
    // A waiting command's own timeout_ms is the inner deadline; the outer
    // one only catches a call into the SDK that never settles.
    const inner = typeof args.timeout_ms === "number" ? args.timeout_ms : DEFAULT_TIMEOUT_MS;
    try {
        const result = await withTimeout(handler(args, inner), inner + 10_000, args.cmd);
        return { ok: true, ...id, ...result };
    } catch (err) {
        process.stderr.write(`peer: ${args.cmd} failed: ${err?.stack || err}\n`);
        return { ok: false, ...id, error: `${args.cmd}: ${describeError(err)}` };
    }
}

function answer(obj) {
    process.stdout.write(`${JSON.stringify(obj)}\n`);
}

process.on("unhandledRejection", (reason) => {
    unhandled++;
    process.stderr.write(`peer: unhandled rejection: ${reason?.stack || reason}\n`);
});
process.on("uncaughtException", (err) => {
    process.stderr.write(`peer: fatal: uncaught exception: ${err?.stack || err}\n`);
    process.exit(70);
});

// Commands run one at a time, in the order they came.
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let queue = Promise.resolve();
lines.on("line", (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
        if (stopping) return;
        let args;
        try {
            args = JSON.parse(line);
        } catch (err) {
            answer({ ok: false, error: `not a JSON line: ${err.message}` });
            return;
        }
        const reply = await handle(args);
        answer(reply);
        if (reply.ok && args.cmd === "stop") await shutdown(0);
    });
});
lines.on("close", () => {
    queue = queue.then(() => shutdown(0));
});
