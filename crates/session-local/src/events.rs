//! Domain events as JSON lines, on stdout or appended to a file.

use std::fs::OpenOptions;
use std::future::{Future, ready};
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use session_core::events::DomainEvent;
use session_memory::EventSink;

use crate::config::EventOutput;

/// Writes each event as one JSON line. Writing is synchronous on purpose: `publish` then finishes
/// within a single poll, so stopping the relay between polls can never lose half a batch.
#[derive(Clone)]
pub struct JsonLinesSink {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl JsonLinesSink {
    pub fn open(output: &EventOutput) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = match output {
            EventOutput::Stdout => Box::new(io::stdout()),
            EventOutput::File(path) => {
                Box::new(OpenOptions::new().create(true).append(true).open(path)?)
            }
        };
        Ok(Self {
            out: Arc::new(Mutex::new(out)),
        })
    }

    pub fn write(&self, events: &[DomainEvent]) -> io::Result<()> {
        // A panic while writing leaves at worst a partial line; later lines are still whole.
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::new();
        for event in events {
            text.push_str(&event.to_json_line());
            text.push('\n');
        }
        out.write_all(text.as_bytes())?;
        out.flush()
    }
}

impl EventSink for JsonLinesSink {
    type Error = io::Error;

    fn publish(
        &self,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        ready(self.write(events))
    }
}
