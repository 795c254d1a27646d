//! Every error of the service is one of two kinds, and each face shows them its own way,
//! in one place:
//!
//! - a **refusal**: a Chinese sentence saying what to do next, safe to show to a villager
//!   or a staff member (no command-line flag, no SQL, no English): the web puts it in the
//!   flash or on a plain 4xx page, the kiosk at the field, the command line on standard
//!   error with exit 2;
//! - a **fault** (the store, a file, a child process): logged with its detail and never
//!   shown verbatim at a screen — the web answers the plain 503 page, the kiosk a plain
//!   sentence, the command line exits 1.

use super::*;

/// What went wrong, sorted for the faces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A sentence to show.
    Refused(String),
    /// The detail for the log.
    Fault(String),
}

/// How an error of the service is shown.
pub trait Explain {
    fn explain(&self) -> Failure;
}

fn refused(e: &impl std::fmt::Display) -> Failure {
    Failure::Refused(e.to_string())
}

fn fault(e: &impl std::fmt::Display) -> Failure {
    Failure::Fault(e.to_string())
}

impl Explain for StoreError {
    fn explain(&self) -> Failure {
        fault(self)
    }
}

impl Explain for ActorError {
    fn explain(&self) -> Failure {
        match self {
            ActorError::Store(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for PinError {
    fn explain(&self) -> Failure {
        match self {
            PinError::Format => refused(self),
            e => fault(e),
        }
    }
}

impl Explain for LoginError {
    fn explain(&self) -> Failure {
        match self {
            LoginError::Store(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for CallError {
    fn explain(&self) -> Failure {
        match self {
            CallError::Store(e) => e.explain(),
            CallError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for AdvanceError {
    fn explain(&self) -> Failure {
        match self {
            AdvanceError::Store(e) | AdvanceError::Change(crate::storage::cases::ChangeError::Store(e)) => e.explain(),
            AdvanceError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for SubmitError {
    fn explain(&self) -> Failure {
        match self {
            SubmitError::Store(e) => e.explain(),
            SubmitError::Helper(e) => e.explain(),
            SubmitError::Random(_) => fault(self),
            e => refused(e),
        }
    }
}

impl Explain for LookupError {
    fn explain(&self) -> Failure {
        match self {
            LookupError::Store(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for TicketError {
    fn explain(&self) -> Failure {
        match self {
            TicketError::Store(e) => e.explain(),
            TicketError::Helper(e) => e.explain(),
            TicketError::Random(_) => fault(self),
            e => refused(e),
        }
    }
}

impl Explain for DeskError {
    fn explain(&self) -> Failure {
        match self {
            DeskError::Store(e) => e.explain(),
            DeskError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for StaffError {
    fn explain(&self) -> Failure {
        match self {
            StaffError::Store(e) => e.explain(),
            StaffError::Actor(e) => e.explain(),
            StaffError::Pin(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for MattersError {
    fn explain(&self) -> Failure {
        match self {
            MattersError::Store(e) => e.explain(),
            MattersError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for HolidaysError {
    fn explain(&self) -> Failure {
        match self {
            HolidaysError::Store(e) => e.explain(),
            HolidaysError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for SettingsError {
    fn explain(&self) -> Failure {
        match self {
            SettingsError::Store(e) => e.explain(),
            SettingsError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for FollowupError {
    fn explain(&self) -> Failure {
        match self {
            FollowupError::Store(e) => e.explain(),
            FollowupError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for super::PrivacyError {
    fn explain(&self) -> Failure {
        match self {
            super::PrivacyError::Store(e) => e.explain(),
            super::PrivacyError::Actor(e) => e.explain(),
            super::PrivacyError::Font(_) => fault(self),
            e => refused(e),
        }
    }
}

impl Explain for RateError {
    fn explain(&self) -> Failure {
        match self {
            RateError::Store(e) => e.explain(),
            RateError::Actor(e) => e.explain(),
            e => refused(e),
        }
    }
}

impl Explain for ReportError {
    fn explain(&self) -> Failure {
        match self {
            ReportError::Store(e) => e.explain(),
            ReportError::Font(_) => fault(self),
            e => refused(e),
        }
    }
}

impl Explain for PadError {
    fn explain(&self) -> Failure {
        match self {
            PadError::Store(e) => e.explain(),
            PadError::Actor(e) => e.explain(),
            PadError::Random => fault(self),
            e => refused(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_are_faults_and_refusals_are_chinese() {
        let store = StoreError::Sql(rusqlite::Error::InvalidQuery);
        assert!(matches!(CallError::Store(store).explain(), Failure::Fault(_)));
        let Failure::Refused(s) = StaffError::UnknownPostHolder.explain() else { panic!("a refusal") };
        assert!(!s.contains("--") && !s.is_ascii(), "{s}");
        let Failure::Refused(s) = CallError::NoneWaiting.explain() else { panic!("a refusal") };
        assert!(!s.is_ascii(), "{s}");
    }
}
