//! The idle policy: after a quiet spell the kiosk warns, then forgets the villager.
//!
//! WCAG 2.2.1 asks for a warning with at least 20 s to extend by one simple action; the
//! station asks that nothing a villager typed survives their leaving. This module only
//! decides the phase from the seconds since the last touch; the UI acts on it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdlePolicy {
    /// Seconds without a touch before the countdown dialog appears.
    pub idle_after_secs: u32,
    /// Seconds the countdown runs before everything is reset.
    pub countdown_secs: u32,
}

impl Default for IdlePolicy {
    fn default() -> Self {
        IdlePolicy { idle_after_secs: 90, countdown_secs: 30 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdlePhase {
    Active,
    /// Countdown dialog shown; seconds left before reset.
    Warning {
        remaining: u32,
    },
    /// Time is up: go home and forget everything.
    Expired,
}

impl IdlePolicy {
    pub fn phase(&self, idle_secs: u32) -> IdlePhase {
        if idle_secs < self.idle_after_secs {
            IdlePhase::Active
        } else {
            let into = idle_secs - self.idle_after_secs;
            if into >= self.countdown_secs {
                IdlePhase::Expired
            } else {
                IdlePhase::Warning { remaining: self.countdown_secs - into }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_the_policy() {
        let p = IdlePolicy::default();
        assert_eq!(p.phase(0), IdlePhase::Active);
        assert_eq!(p.phase(89), IdlePhase::Active);
        assert_eq!(p.phase(90), IdlePhase::Warning { remaining: 30 });
        assert_eq!(p.phase(119), IdlePhase::Warning { remaining: 1 });
        assert_eq!(p.phase(120), IdlePhase::Expired);
    }
}
