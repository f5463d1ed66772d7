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
const { EventShieldColour, EventShieldReason, AllDevicesIsolationMode, OnlySignedDevicesIsolationMode } =
    await import("matrix-js-sdk/lib/crypto-api/index.js");
// The Rust crypto's own key-file code (the one Element's export runs).
const { OlmMachine } = await import("@matrix-org/matrix-sdk-crypto-wasm");

const MEGOLM = "m.megolm.v1.aes-sha2";
const DEFAULT_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

let client = null;
let loginPassword = null; // for the cross-signing upload's authentication
let unhandled = 0;

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
async function waitFor(check, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value !== undefined && value !== false && value !== null) return value;
        if (Date.now() >= deadline) fail(`${what} did not happen within ${timeoutMs} ms`);
        await sleep(POLL_MS);
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

// The server's own record of this device: its device keys are published and
// it has one-time keys to claim. Until both hold, nobody can start an Olm
// session with it and it would never receive a room key.
async function keysUploaded(c) {
    const me = c.getUserId();
    const device = c.getDeviceId();
    const query = await c.http.authedRequest(sdk.Method.Post, "/keys/query", undefined, {
        device_keys: { [me]: [device] },
    });
    const published = query.device_keys?.[me]?.[device];
    if (!published) return null;
    const counts = await c.http.authedRequest(sdk.Method.Post, "/keys/upload", undefined, {});
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

async function cmdCrossSign() {
    const c = loggedIn();
    await crypto().bootstrapCrossSigning({
        setupNewCrossSigning: true,
        authUploadDeviceSigningKeys: async (makeRequest) => {
            await makeRequest({
                type: "m.login.password",
                identifier: { type: "m.id.user", user: c.getUserId() },
                password: loginPassword,
            });
        },
    });
    const master = await crypto().getCrossSigningKeyId();
    if (!master) fail("cross-signing did not come up");
    return { master };
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
    raw_event: cmdRawEvent,
    send: cmdSend,
    send_event: cmdSendEvent,
    stop: cmdStop,
    wait_member: cmdWaitMember,
    wait_message: cmdWaitMessage,
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
