//! A stateful local stand-in for the subset of Cloudflare's API v4 that flarelink uses.
//! (Being written; see the crate README once it lands.)
