//! The embedded bus: one `tokio::sync::broadcast` channel per topic with subscribers.

use crate::{Bus, Delivery, Subscription, Topic};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;

/// Frames a subscriber may fall behind by before it is told it lagged.
const CAPACITY: usize = 1_024;

#[derive(Debug, Default)]
pub struct InProcessBus {
    topics: Mutex<HashMap<Topic, broadcast::Sender<Arc<str>>>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Topics that currently have a channel (for tests and metrics).
    pub fn topic_count(&self) -> usize {
        self.topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Bus for InProcessBus {
    fn publish(&self, topic: Topic, frame: Arc<str>) {
        let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
        // Nobody listens any more: forget the topic so the map does not grow forever.
        if let Some(sender) = topics.get(&topic)
            && sender.send(frame).is_err()
        {
            topics.remove(&topic);
        }
    }

    fn subscribe(&self, topic: Topic) -> Subscription {
        let receiver = self
            .topics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(topic)
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe();
        futures::stream::unfold(receiver, |mut rx| async move {
            match rx.recv().await {
                Ok(frame) => Some((Delivery::Frame(frame), rx)),
                Err(broadcast::error::RecvError::Lagged(n)) => Some((Delivery::Lagged(n), rx)),
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_domain::{CustomerId, ShopId};

    #[tokio::test]
    async fn frames_reach_only_their_topic_in_order() {
        let bus = InProcessBus::new();
        let shop = ShopId::new();
        let mut agents = bus.subscribe(Topic::Shop(shop));
        let mut shopper = bus.subscribe(Topic::Customer(shop, CustomerId::new()));
        let mut other_shop = bus.subscribe(Topic::Shop(ShopId::new()));
        bus.publish(Topic::Shop(shop), "1".into());
        bus.publish(Topic::Shop(shop), "2".into());
        assert_eq!(agents.next().await, Some(Delivery::Frame("1".into())));
        assert_eq!(agents.next().await, Some(Delivery::Frame("2".into())));
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(20), async {
            tokio::join!(shopper.next(), other_shop.next())
        })
        .await;
        assert!(nothing.is_err(), "other topics received nothing");
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_it_lagged() {
        let bus = InProcessBus::new();
        let topic = Topic::Shop(ShopId::new());
        let mut slow = bus.subscribe(topic);
        for i in 0..CAPACITY + 5 {
            bus.publish(topic, i.to_string().into());
        }
        assert_eq!(slow.next().await, Some(Delivery::Lagged(5)));
        assert_eq!(slow.next().await, Some(Delivery::Frame("5".into())));
    }

    #[tokio::test]
    async fn topics_without_subscribers_are_forgotten() {
        let bus = InProcessBus::new();
        let topic = Topic::Shop(ShopId::new());
        drop(bus.subscribe(topic));
        assert_eq!(bus.topic_count(), 1);
        bus.publish(topic, "x".into());
        assert_eq!(bus.topic_count(), 0);
    }
}
