// protocol_codes.js — the code tables of protocol v2 (message types, orders, enums, error and close codes) as in schemas/protocol.md.

/** Protocol version sent in Hello and echoed in Welcome. */
export const PROTOCOL_VERSION = 2;
/** Bytes of a session or redirect token. */
export const TOKEN_LEN = 32;
/** Longest player name in bytes (UTF-8). */
export const MAX_NAME_LEN = 32;
/** Longest Error text in bytes. */
export const MAX_ERROR_TEXT_LEN = 1024;
/** Longest Redirect address in bytes. */
export const MAX_ADDRESS_LEN = 255;
/** Longest chat line in bytes (Chat and ChatHeard). */
export const MAX_CHAT_TEXT_LEN = 1024;
/** Most slot records in a container message. */
export const MAX_CONTAINER_SLOTS = 1024;
/** InventoryMove's `to_slot` meaning "anywhere". */
export const ANY_SLOT = 0xffff;
/** Fixed-point units per tile (positions are 1/256 tile). */
export const POSITION_SCALE = 256;

/** Message type bytes by name (byte 0 of every message). */
export const MSG = Object.freeze({
  Hello: 0x01, Input: 0x02, Craft: 0x03, InventoryMove: 0x04, Drop: 0x05, Pickup: 0x06, Ping: 0x07, Ack: 0x08,
  CloseContainer: 0x09, Chat: 0x0a, UseItem: 0x0b, Plant: 0x0c,
  Welcome: 0x81, Frame: 0x82, ChunkData: 0x83, ChunkDrop: 0x84, Redirect: 0x85, Error: 0x86, Pong: 0x87,
  ObjectDelta: 0x88, ContainerContents: 0x89, ContainerChange: 0x8a, ContainerClosed: 0x8b, ChatHeard: 0x8c,
  Stats: 0x8d, CraftProgress: 0x8e,
});

/** Message names by type byte. */
export const MSG_NAMES = Object.freeze(Object.fromEntries(Object.entries(MSG).map(([k, v]) => [v, k])));

/** Order kinds: Input.order and the Frame's own.order. */
export const ORDER = Object.freeze({ STOP: 0, MOVE_TO: 1, FOLLOW: 2, INTERACT: 3, ATTACK: 4 });
/** Interact action ids (Input.action with order 3). */
export const ACTION = Object.freeze({ USE: 0, PICK_UP: 1 });
/** Container reference kinds. */
export const CONTAINER_KIND = Object.freeze({ OWN: 0, OBJECT: 1, ITEM: 2 });
/** ContainerClosed reasons. */
export const CLOSED_REASON = Object.freeze({ ON_REQUEST: 0, OUT_OF_REACH: 1, GONE: 2, REPLACED: 3 });
/** CraftProgress states. */
export const CRAFT_STATE = Object.freeze({ STARTED: 0, DONE: 1, CANCELLED: 2, FAILED: 3 });
/** ObjectDelta record ops. */
export const OBJECT_OP = Object.freeze({ ENTER: 1, CHANGE: 2, LEAVE: 3 });

/** Error message codes (protocol.md §5) by code: a short name. */
export const ERROR_CODES = Object.freeze({
  1: 'unknown message type', 2: 'duplicate Hello', 100: 'invalid order', 101: 'no such target',
  102: 'reserved', 103: 'no such container', 104: 'no such slot', 105: 'empty slot', 106: 'no room',
  107: 'item inside itself', 108: 'nested too deep', 109: 'stack mismatch', 110: 'stale revision',
  111: 'bad count', 112: 'no item ids available', 113: 'container out of reach', 114: 'container not open',
  115: 'item still holds items', 116: 'container already exists', 117: 'item id in use',
  118: 'unknown item kind', 119: 'storage busy', 120: 'unknown recipe', 121: 'missing ingredients',
  122: 'missing tool', 123: 'no room for the result', 124: 'not enough stamina', 125: 'station not in reach',
  126: 'bad craft count', 130: 'needs a tool in hand', 131: 'nothing to gather yet', 132: 'object changed',
  133: 'no room for the harvest', 134: 'not a seed', 135: 'wrong soil', 136: 'spot taken',
  137: 'spot out of reach', 140: 'chat line too long', 141: 'chatting too fast', 142: 'empty chat line',
  143: 'control character in chat', 144: 'bidirectional control in chat', 145: 'item cannot be used',
  146: 'dead', 147: 'not hungry', 148: 'wrong equipment slot',
  149: 'back where you left: the move to another shard did not complete',
  150: 'the way is closed: no shard simulates the map it leads to',
});

/** WebSocket close codes (protocol.md §6) by code: a short name. */
export const CLOSE_CODES = Object.freeze({
  1000: 'normal', 1001: 'server shutting down', 1002: 'WebSocket protocol violation', 1003: 'text frame',
  1007: 'invalid UTF-8', 1008: 'input rate abuse', 1009: 'message too big', 1011: 'server error',
  1013: 'client too slow', 4000: 'Hello required', 4001: 'protocol version not supported',
  4002: 'malformed message', 4003: 'no Hello in time', 4004: 'idle timeout', 4100: 'wrong session token',
  4101: 'no spawn spot', 4102: 'storage unavailable', 4103: 'logged in elsewhere', 4104: 'map not here',
  4105: 'name not acceptable', 4106: 'map lost', 4107: 'redirected', 4108: 'hand-off refused',
});

/** The short name of an Error code (reserved ranges named as such). */
export function errorCodeName(code) {
  if (ERROR_CODES[code] !== undefined) return ERROR_CODES[code];
  return code >= 100 ? 'reserved game error' : 'unknown error';
}

/** The short name of a close code. */
export function closeCodeName(code) {
  if (CLOSE_CODES[code] !== undefined) return CLOSE_CODES[code];
  return code >= 4100 && code <= 4999 ? 'game close' : 'unknown close';
}
