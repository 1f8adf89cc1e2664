//! The bus port: how a stored change reaches every live socket that cares.
//!
//! Publishers send an already-rendered JSON frame to a [`Topic`]; subscribers get a stream of
//! [`Delivery`]. The bus is for pushing, not for keeping: everything on it is already durable
//! in the store, so a subscriber that falls behind is told it [`Delivery::Lagged`] and re-reads
//! from the store instead of the bus buffering without bound.

mod memory;

pub use memory::InProcessBus;

use futures::stream::BoxStream;
use kefu_domain::{CustomerId, ShopId};
use std::sync::Arc;

/// Who a frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everyone serving the shop: agents, supervisors, dashboards.
    Shop(ShopId),
    /// One shopper's own widget or app sessions.
    Customer(ShopId, CustomerId),
}

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A JSON frame.
    Frame(Arc<str>),
    /// `n` frames were dropped because this subscriber was too slow; re-read from the store.
    Lagged(u64),
}

pub type Subscription = BoxStream<'static, Delivery>;

pub trait Bus: Send + Sync + std::fmt::Debug {
    /// Sends a frame to the topic's current subscribers. Never blocks on slow subscribers.
    fn publish(&self, topic: Topic, frame: Arc<str>);
    /// Frames published to `topic` from now on.
    fn subscribe(&self, topic: Topic) -> Subscription;
}
