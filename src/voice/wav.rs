//! Mono 16-bit PCM in memory, and the RIFF/WAVE files it comes from and goes to.
//!
//! Reading accepts what espeak-ng and ordinary recorders write: PCM with 8 or 16 bits a
//! sample, one or more channels (mixed down to mono), any common rate, extra chunks such
//! as `LIST` (skipped), and a streamed file whose `data` size field is larger than the file
//! (the samples that are there are taken). Garbage gives a [`WavError`], never a panic.
//! Writing always gives the canonical 44-byte header, mono, 16-bit.

use std::time::Duration;

/// Lowest sample rate a WAV file may declare.
pub const MIN_RATE: u32 = 1_000;
/// Highest sample rate a WAV file may declare.
pub const MAX_RATE: u32 = 384_000;
/// Most channels a WAV file may have (they are averaged to mono).
pub const MAX_CHANNELS: u16 = 8;

const FORMAT_PCM: u16 = 0x0001;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Why bytes could not be read as a PCM WAV file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    #[error("not a WAV file: {0}")]
    NotWav(&'static str),
    #[error("WAV file has no {0:?} chunk")]
    MissingChunk(&'static str),
    #[error("WAV \"fmt \" chunk is {0} bytes long; at least 16 are needed")]
    ShortFormat(usize),
    #[error("WAV sample format {0:#06x} is not plain PCM (only PCM with 8 or 16 bits a sample is read)")]
    NotPcm(u16),
    #[error("WAV files with {0} bits a sample are not read (only 8 or 16)")]
    BitsPerSample(u16),
    #[error("WAV files with {0} channels are not read (1 to {MAX_CHANNELS})")]
    Channels(u16),
    #[error("WAV sample rate {0} Hz is outside {MIN_RATE}..={MAX_RATE}")]
    Rate(u32),
}

/// Mono 16-bit samples at `rate` samples a second.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pcm {
    pub rate: u32,
    pub samples: Vec<i16>,
}

struct Format {
    channels: u16,
    rate: u32,
    bits: u16,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn parse_format(body: &[u8]) -> Result<Format, WavError> {
    let (Some(tag), Some(channels), Some(rate), Some(bits)) =
        (u16_at(body, 0), u16_at(body, 2), u32_at(body, 4), u16_at(body, 14))
    else {
        return Err(WavError::ShortFormat(body.len()));
    };
    match tag {
        FORMAT_PCM => {}
        // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
        FORMAT_EXTENSIBLE => match u16_at(body, 24) {
            Some(FORMAT_PCM) => {}
            Some(sub) => return Err(WavError::NotPcm(sub)),
            None => return Err(WavError::NotPcm(tag)),
        },
        other => return Err(WavError::NotPcm(other)),
    }
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(WavError::Channels(channels));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(WavError::Rate(rate));
    }
    if bits != 8 && bits != 16 {
        return Err(WavError::BitsPerSample(bits));
    }
    Ok(Format { channels, rate, bits })
}

impl Pcm {
    pub fn new(rate: u32, samples: Vec<i16>) -> Pcm {
        Pcm { rate, samples }
    }

    /// `ms` milliseconds of digital silence.
    pub fn silence(rate: u32, ms: u32) -> Pcm {
        let n = (rate as u64 * ms as u64 / 1000) as usize;
        Pcm { rate, samples: vec![0; n] }
    }

    /// Reads a RIFF/WAVE file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Pcm, WavError> {
        if bytes.len() < 12 {
            return Err(WavError::NotWav("shorter than a RIFF header"));
        }
        if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err(WavError::NotWav("no RIFF/WAVE signature"));
        }
        // The RIFF size field is not trusted: streaming writers leave a placeholder there.
        let mut format = None;
        let mut data: Option<&[u8]> = None;
        let mut pos = 12usize;
        while let Some(header) = pos.checked_add(8).and_then(|end| bytes.get(pos..end)) {
            let id = &header[0..4];
            let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
            let body_start = pos + 8;
            let declared = size as usize;
            // A chunk that claims more than the file holds is cut to what is there.
            let body_end = body_start.saturating_add(declared).min(bytes.len());
            let body = &bytes[body_start..body_end];
            match id {
                b"fmt " if format.is_none() => format = Some(parse_format(body)?),
                b"data" if data.is_none() => data = Some(body),
                _ => {}
            }
            // Chunks are padded to an even length.
            pos = body_start.saturating_add(declared).saturating_add(declared & 1);
        }
        let format = format.ok_or(WavError::MissingChunk("fmt "))?;
        let data = data.ok_or(WavError::MissingChunk("data"))?;
        let width = (format.bits / 8) as usize;
        let frame = width * format.channels as usize;
        let channels = format.channels as i32;
        let samples = data
            .chunks_exact(frame)
            .map(|f| {
                let sum: i32 = f
                    .chunks_exact(width)
                    .map(|s| match width {
                        1 => (s[0] as i32 - 128) << 8,
                        _ => i16::from_le_bytes([s[0], s[1]]) as i32,
                    })
                    .sum();
                (sum / channels) as i16
            })
            .collect();
        Ok(Pcm { rate: format.rate, samples })
    }

    /// The canonical WAV file: 44-byte header, PCM, mono, 16-bit.
    pub fn to_wav_bytes(&self) -> Vec<u8> {
        let data_len = (self.samples.len() as u64 * 2).min(u32::MAX as u64 - 36) as u32;
        let mut out = Vec::with_capacity(44 + data_len as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&self.rate.to_le_bytes());
        out.extend_from_slice(&self.rate.saturating_mul(2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in self.samples.iter().take(data_len as usize / 2) {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    pub fn duration(&self) -> Duration {
        if self.rate == 0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(self.samples.len() as f64 / self.rate as f64)
    }

    /// The same sound at `rate`, by linear interpolation; the duration is kept (to the sample).
    pub fn resample(&self, rate: u32) -> Pcm {
        if rate == self.rate {
            return self.clone();
        }
        if rate == 0 || self.rate == 0 || self.samples.is_empty() {
            return Pcm { rate, samples: Vec::new() };
        }
        let n_in = self.samples.len();
        let n_out = ((n_in as u128 * rate as u128 + self.rate as u128 / 2) / self.rate as u128) as usize;
        let step = self.rate as f64 / rate as f64;
        let samples = (0..n_out)
            .map(|i| {
                let pos = i as f64 * step;
                let idx = (pos as usize).min(n_in - 1);
                let frac = pos - idx as f64;
                let a = self.samples[idx] as f64;
                let b = self.samples[(idx + 1).min(n_in - 1)] as f64;
                (a + (b - a) * frac).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
            })
            .collect();
        Pcm { rate, samples }
    }

    /// Cuts the near-silence (|sample| <= `threshold`) at both ends, keeping `keep_ms` of it on
    /// each side so that soft onsets and decays are not clipped. All silence gives an empty clip.
    pub fn trim_silence(&self, threshold: i16, keep_ms: u32) -> Pcm {
        let loud = |s: &i16| (*s as i32).abs() > threshold as i32;
        let (Some(first), Some(last)) = (self.samples.iter().position(loud), self.samples.iter().rposition(loud))
        else {
            return Pcm { rate: self.rate, samples: Vec::new() };
        };
        let keep = (self.rate as u64 * keep_ms as u64 / 1000) as usize;
        let start = first.saturating_sub(keep);
        let end = last.saturating_add(1).saturating_add(keep).min(self.samples.len());
        Pcm { rate: self.rate, samples: self.samples[start..end].to_vec() }
    }

    /// Appends `other`, resampled to this clip's rate if it differs.
    pub fn append(&mut self, other: &Pcm) {
        if other.rate == self.rate {
            self.samples.extend_from_slice(&other.samples);
        } else {
            self.samples.extend_from_slice(&other.resample(self.rate).samples);
        }
    }

    /// The largest absolute sample value.
    /// The sound at `percent` % of its loudness (100 and above: unchanged).
    pub fn scaled(mut self, percent: u32) -> Pcm {
        if percent < 100 {
            for s in &mut self.samples {
                *s = (i32::from(*s) * percent as i32 / 100) as i16;
            }
        }
        self
    }

    pub fn peak(&self) -> u16 {
        self.samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, ms: u32, amp: f64) -> Pcm {
        let n = (rate as u64 * ms as u64 / 1000) as usize;
        let samples =
            (0..n).map(|i| (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / rate as f64).sin()) as i16).collect();
        Pcm::new(rate, samples)
    }

    /// A WAV file by hand: `fmt` fields, raw data bytes, and extra chunks placed before `data`.
    fn wav(tag: u16, channels: u16, rate: u32, bits: u16, extra: &[(&[u8; 4], &[u8])], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        let align = channels * bits / 8;
        out.extend_from_slice(&(rate * align as u32).to_le_bytes());
        out.extend_from_slice(&align.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        for (id, body) in extra {
            out.extend_from_slice(*id);
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(body);
            if body.len() % 2 == 1 {
                out.push(0);
            }
        }
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        let riff = (out.len() - 8) as u32;
        out[4..8].copy_from_slice(&riff.to_le_bytes());
        out
    }

    #[test]
    fn round_trip_keeps_every_sample() {
        let pcm = Pcm::new(22050, vec![0, 1, -1, i16::MAX, i16::MIN, 1234, -4321]);
        let bytes = pcm.to_wav_bytes();
        assert_eq!(bytes.len(), 44 + 14);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 36 + 14);
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 22050);
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()), 14);
        assert_eq!(Pcm::parse(&bytes).unwrap(), pcm);
        let empty = Pcm::new(16000, Vec::new());
        assert_eq!(Pcm::parse(&empty.to_wav_bytes()).unwrap(), empty);
    }

    #[test]
    fn reads_8_bit_unsigned() {
        let bytes = wav(1, 1, 8000, 8, &[], &[128, 255, 0, 192]);
        let pcm = Pcm::parse(&bytes).unwrap();
        assert_eq!(pcm, Pcm::new(8000, vec![0, 127 << 8, -128 << 8, 64 << 8]));
    }

    #[test]
    fn mixes_stereo_to_mono() {
        let frames: [(i16, i16); 3] = [(1000, 3000), (-2000, 2000), (i16::MAX, i16::MAX)];
        let data: Vec<u8> = frames.iter().flat_map(|(l, r)| [l.to_le_bytes(), r.to_le_bytes()].concat()).collect();
        let pcm = Pcm::parse(&wav(1, 2, 44100, 16, &[], &data)).unwrap();
        assert_eq!(pcm, Pcm::new(44100, vec![2000, 0, i16::MAX]));
        // 8-bit stereo too.
        let pcm = Pcm::parse(&wav(1, 2, 11025, 8, &[], &[128, 192, 0, 0])).unwrap();
        assert_eq!(pcm, Pcm::new(11025, vec![32 << 8, -128 << 8]));
    }

    #[test]
    fn skips_list_and_odd_sized_chunks() {
        let data: Vec<u8> = [5i16, -5, 7].iter().flat_map(|s| s.to_le_bytes()).collect();
        let list: &[u8] = b"INFOISFT\x05\0\0\0sox!\0";
        let bytes = wav(1, 1, 16000, 16, &[(b"LIST", list), (b"odd ", b"abc")], &data);
        assert_eq!(Pcm::parse(&bytes).unwrap(), Pcm::new(16000, vec![5, -5, 7]));
        // A chunk after the data chunk is not read as samples.
        let mut with_tail = bytes.clone();
        with_tail.extend_from_slice(b"LIST\x04\0\0\0abcd");
        assert_eq!(Pcm::parse(&with_tail).unwrap(), Pcm::new(16000, vec![5, -5, 7]));
    }

    #[test]
    fn reads_extensible_pcm() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"RIFF\0\0\0\0WAVEfmt ");
        bytes.extend_from_slice(&40u32.to_le_bytes());
        bytes.extend_from_slice(&0xFFFEu16.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&48000u32.to_le_bytes());
        bytes.extend_from_slice(&96000u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&16u16.to_le_bytes());
        bytes.extend_from_slice(&22u16.to_le_bytes());
        bytes.extend_from_slice(&16u16.to_le_bytes());
        bytes.extend_from_slice(&4u32.to_le_bytes());
        bytes.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
        bytes.extend_from_slice(b"data\x02\0\0\0\x10\x00");
        assert_eq!(Pcm::parse(&bytes).unwrap(), Pcm::new(48000, vec![16]));
    }

    #[test]
    fn streamed_data_size_takes_what_is_there() {
        // espeak-ng writing to a pipe puts 0x7FFFF000-ish placeholders in both size fields.
        let data: Vec<u8> = [1i16, 2, 3, 4].iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut bytes = wav(1, 1, 22050, 16, &[], &data);
        bytes[4..8].copy_from_slice(&0x7FFF_F024u32.to_le_bytes());
        let at = bytes.len() - data.len() - 4;
        bytes[at..at + 4].copy_from_slice(&0x7FFF_F000u32.to_le_bytes());
        assert_eq!(Pcm::parse(&bytes).unwrap(), Pcm::new(22050, vec![1, 2, 3, 4]));
        // A half frame at the end is dropped.
        bytes.push(9);
        assert_eq!(Pcm::parse(&bytes).unwrap().samples.len(), 4);
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Pcm::parse(&bytes).unwrap().samples.len(), 4);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(Pcm::parse(b""), Err(WavError::NotWav("shorter than a RIFF header")));
        assert_eq!(Pcm::parse(b"RIFX\0\0\0\0WAVEfmt "), Err(WavError::NotWav("no RIFF/WAVE signature")));
        assert_eq!(Pcm::parse(b"RIFF\0\0\0\0WAVE"), Err(WavError::MissingChunk("fmt ")));
        assert_eq!(Pcm::parse(&wav(3, 1, 22050, 32, &[], &[0; 8])), Err(WavError::NotPcm(3)));
        assert_eq!(Pcm::parse(&wav(1, 1, 22050, 24, &[], &[0; 6])), Err(WavError::BitsPerSample(24)));
        assert_eq!(Pcm::parse(&wav(1, 0, 22050, 16, &[], &[0; 6])), Err(WavError::Channels(0)));
        assert_eq!(Pcm::parse(&wav(1, 1, 0, 16, &[], &[0; 6])), Err(WavError::Rate(0)));
        let mut no_data = wav(1, 1, 22050, 16, &[], &[]);
        no_data.truncate(36);
        assert_eq!(Pcm::parse(&no_data), Err(WavError::MissingChunk("data")));
        let mut short_fmt = b"RIFF\0\0\0\0WAVEfmt \x04\0\0\0\x01\0\x01\0".to_vec();
        short_fmt.extend_from_slice(b"data\0\0\0\0");
        assert_eq!(Pcm::parse(&short_fmt), Err(WavError::ShortFormat(4)));
        // Messages say what is wrong.
        assert!(WavError::BitsPerSample(24).to_string().contains("24 bits"));
    }

    /// xorshift64*: enough randomness for a fuzz loop without a crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn garbage_and_truncation_never_panic() {
        let good = wav(1, 2, 44100, 16, &[(b"LIST", b"INFOxxxx")], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        for len in 0..=good.len() {
            let _ = Pcm::parse(&good[..len]);
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..20_000 {
            let mut bytes = if round % 2 == 0 {
                good.clone()
            } else {
                let n = (rng.next() % 96) as usize;
                let mut b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                // Half of the random ones get a valid signature so the chunk walk is exercised.
                if round % 4 == 1 && b.len() >= 12 {
                    b[0..4].copy_from_slice(b"RIFF");
                    b[8..12].copy_from_slice(b"WAVE");
                }
                b
            };
            for _ in 0..(rng.next() % 6) {
                if bytes.is_empty() {
                    break;
                }
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = rng.next() as u8;
            }
            let cut = (rng.next() as usize) % (bytes.len() + 1);
            if let Ok(pcm) = Pcm::parse(&bytes[..cut]) {
                assert!((MIN_RATE..=MAX_RATE).contains(&pcm.rate));
            }
        }
    }

    #[test]
    fn resampling_keeps_duration() {
        let src = tone(44100, 440.0, 1000, 8000.0);
        for rate in [8000, 16000, 22050, 44100, 48000] {
            let out = src.resample(rate);
            assert_eq!(out.rate, rate);
            assert_eq!(out.samples.len(), rate as usize, "1 s at {rate} Hz");
            let back = out.resample(22050);
            assert_eq!(back.samples.len(), 22050);
        }
        let odd = Pcm::new(16000, vec![100; 333]);
        let up = odd.resample(22050);
        assert!((up.duration().as_secs_f64() - odd.duration().as_secs_f64()).abs() < 1.0 / 22050.0);
        // Interpolation: a ramp stays a ramp.
        let ramp = Pcm::new(10000, (0..100).map(|i| i * 100).collect());
        let up = ramp.resample(20000);
        assert_eq!(up.samples[0..5], [0, 50, 100, 150, 200]);
        assert_eq!(Pcm::new(22050, Vec::new()).resample(8000).samples.len(), 0);
    }

    #[test]
    fn trims_near_silence_but_keeps_a_margin() {
        let mut pcm = Pcm::silence(1000, 500);
        pcm.samples.extend([50, -60, 40]); // noise under the threshold
        pcm.samples.extend([5000, -5000, 4000]);
        pcm.samples.extend(Pcm::silence(1000, 300).samples);
        let trimmed = pcm.trim_silence(100, 2);
        assert_eq!(trimmed.samples, [-60, 40, 5000, -5000, 4000, 0, 0]);
        assert_eq!(pcm.trim_silence(100, 0).samples, [5000, -5000, 4000]);
        assert_eq!(Pcm::silence(22050, 100).trim_silence(100, 10).samples.len(), 0);
        assert_eq!(Pcm::new(10, vec![i16::MIN]).trim_silence(i16::MAX, 0).samples, [i16::MIN]);
    }

    #[test]
    fn silence_and_duration() {
        let s = Pcm::silence(22050, 300);
        assert_eq!(s.samples.len(), 6615);
        assert!(s.samples.iter().all(|&x| x == 0));
        assert_eq!(s.duration(), Duration::from_secs_f64(0.3));
        assert_eq!(Pcm::new(0, vec![1, 2]).duration(), Duration::ZERO);
        let mut a = Pcm::new(22050, vec![1; 10]);
        a.append(&Pcm::new(11025, vec![2; 10]));
        assert_eq!(a.samples.len(), 30);
    }
}
