//! Just enough IPP to ask CUPS what became of one job.
//!
//! `lpstat -W completed` lists cancelled and aborted jobs beside printed ones, so the only
//! honest answer to "is the receipt on paper?" is the job's `job-state` attribute. This is
//! a Get-Job-Attributes request (RFC 8011 §4.3.4) over HTTP/1.1 to the CUPS server: its
//! local socket, or host:port.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

/// The states RFC 8011 §5.3.7 gives a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Held,
    Processing,
    Stopped,
    Canceled,
    Aborted,
    Completed,
}

impl JobState {
    fn from_enum(v: i32) -> Option<JobState> {
        Some(match v {
            3 => JobState::Pending,
            4 => JobState::Held,
            5 => JobState::Processing,
            6 => JobState::Stopped,
            7 => JobState::Canceled,
            8 => JobState::Aborted,
            9 => JobState::Completed,
            _ => return None,
        })
    }

    /// Plain words for the staff's reprint list.
    pub fn words(self) -> &'static str {
        match self {
            JobState::Pending => "还在排队",
            JobState::Held => "被挂起",
            JobState::Processing => "正在打印",
            JobState::Stopped => "打印机停住了",
            JobState::Canceled => "被取消",
            JobState::Aborted => "打印机出错中止",
            JobState::Completed => "已打印",
        }
    }
}

/// Where the CUPS scheduler listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    Socket(PathBuf),
    Tcp(String),
}

impl Server {
    /// The configured server; else `CUPS_SERVER`; else the local socket; else localhost:631.
    pub fn resolve(configured: Option<&str>) -> Server {
        let named = configured.map(str::to_string).or_else(|| std::env::var("CUPS_SERVER").ok());
        match named.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(s) if s.starts_with('/') => Server::Socket(PathBuf::from(s)),
            Some(s) if s.contains(':') => Server::Tcp(s),
            Some(s) => Server::Tcp(format!("{s}:631")),
            None => {
                let sock = PathBuf::from("/run/cups/cups.sock");
                if sock.exists() {
                    Server::Socket(sock)
                } else {
                    Server::Tcp("localhost:631".into())
                }
            }
        }
    }
}

/// The request body for Get-Job-Attributes of job `id`, asking only for its state.
fn request(id: u32) -> Vec<u8> {
    let mut b = vec![0x02, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x01];
    let mut attr = |tag: u8, name: &str, value: &[u8]| {
        b.push(tag);
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&(value.len() as u16).to_be_bytes());
        b.extend_from_slice(value);
    };
    attr(0x47, "attributes-charset", b"utf-8");
    attr(0x48, "attributes-natural-language", b"en");
    attr(0x45, "job-uri", format!("ipp://localhost/jobs/{id}").as_bytes());
    attr(0x44, "requested-attributes", b"job-state");
    b.push(0x03);
    b
}

/// Reads the job state out of an IPP response body. Err for a refused request, Ok(None)
/// for an unknown job.
fn parse(body: &[u8]) -> Result<Option<JobState>, String> {
    if body.len() < 8 {
        return Err("CUPS 的回答太短".into());
    }
    let status = u16::from_be_bytes([body[2], body[3]]);
    if status == 0x0406 {
        return Ok(None);
    }
    if status >= 0x0100 {
        return Err(format!("CUPS 拒绝了查询（IPP 状态 0x{status:04x}）"));
    }
    let mut i = 8;
    let byte = |i: usize| body.get(i).copied().ok_or_else(|| "CUPS 的回答不完整".to_string());
    let u16_at = |i: usize| -> Result<usize, String> { Ok(u16::from_be_bytes([byte(i)?, byte(i + 1)?]) as usize) };
    let mut last_name = String::new();
    loop {
        let tag = byte(i)?;
        i += 1;
        if tag == 0x03 {
            return Ok(None);
        }
        if tag < 0x10 {
            continue; // a new attribute group
        }
        let name_len = u16_at(i)?;
        let name = body.get(i + 2..i + 2 + name_len).ok_or("CUPS 的回答不完整")?;
        i += 2 + name_len;
        let value_len = u16_at(i)?;
        let value = body.get(i + 2..i + 2 + value_len).ok_or("CUPS 的回答不完整")?;
        i += 2 + value_len;
        if !name.is_empty() {
            last_name = String::from_utf8_lossy(name).into_owned();
        }
        if last_name == "job-state" && tag == 0x23 && value.len() == 4 {
            let v = i32::from_be_bytes([value[0], value[1], value[2], value[3]]);
            return Ok(JobState::from_enum(v));
        }
    }
}

/// Undoes HTTP/1.1 chunked transfer coding.
fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").ok_or("CUPS 的回答不完整")?;
        let size_text = String::from_utf8_lossy(&b[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| "CUPS 的回答格式不对".to_string())?;
        b = &b[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("CUPS 的回答不完整")?);
        b = b.get(size + 2..).unwrap_or(&[]);
    }
}

fn exchange<S: Read + Write>(mut s: S, body: &[u8]) -> Result<Vec<u8>, String> {
    let head = format!(
        "POST /jobs/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).and_then(|_| s.write_all(body)).map_err(|e| format!("连不上打印服务：{e}"))?;
    let mut resp = Vec::new();
    s.take(1 << 20).read_to_end(&mut resp).map_err(|e| format!("打印服务没有回答：{e}"))?;
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").ok_or("打印服务的回答不完整")?;
    let headers = String::from_utf8_lossy(&resp[..split]).to_ascii_lowercase();
    if !headers.starts_with("http/1.1 200") && !headers.starts_with("http/1.0 200") {
        return Err(format!("打印服务回答：{}", headers.lines().next().unwrap_or("")));
    }
    let body = &resp[split + 4..];
    if headers.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        Ok(body.to_vec())
    }
}

/// The state of CUPS job `id`; Ok(None) when CUPS does not know it (any more).
pub fn job_state(server: &Server, id: u32, timeout: Duration) -> Result<Option<JobState>, String> {
    let body = request(id);
    let resp = match server {
        Server::Socket(path) => {
            let s = std::os::unix::net::UnixStream::connect(path)
                .map_err(|e| format!("连不上打印服务 {}：{e}", path.display()))?;
            let _ = s.set_read_timeout(Some(timeout));
            let _ = s.set_write_timeout(Some(timeout));
            exchange(s, &body)?
        }
        Server::Tcp(addr) => {
            use std::net::ToSocketAddrs;
            let a = addr
                .to_socket_addrs()
                .map_err(|e| format!("打印服务地址 {addr} 不对：{e}"))?
                .next()
                .ok_or_else(|| format!("打印服务地址 {addr} 不对"))?;
            let s =
                std::net::TcpStream::connect_timeout(&a, timeout).map_err(|e| format!("连不上打印服务 {addr}：{e}"))?;
            let _ = s.set_read_timeout(Some(timeout));
            let _ = s.set_write_timeout(Some(timeout));
            exchange(s, &body)?
        }
    };
    parse(&resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, attrs: &[(u8, &str, &[u8])]) -> Vec<u8> {
        let mut b = vec![0x02, 0x00];
        b.extend_from_slice(&status.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 1, 0x01]);
        for (tag, name, value) in attrs {
            b.push(*tag);
            b.extend_from_slice(&(name.len() as u16).to_be_bytes());
            b.extend_from_slice(name.as_bytes());
            b.extend_from_slice(&(value.len() as u16).to_be_bytes());
            b.extend_from_slice(value);
        }
        b.push(0x03);
        b
    }

    #[test]
    fn reads_the_job_state() {
        let r = response(
            0,
            &[(0x47, "attributes-charset", b"utf-8"), (0x02, "", b""), (0x23, "job-state", &9i32.to_be_bytes())],
        );
        assert_eq!(parse(&r), Ok(Some(JobState::Completed)));
        let r = response(0, &[(0x23, "job-state", &7i32.to_be_bytes())]);
        assert_eq!(parse(&r), Ok(Some(JobState::Canceled)));
        assert_eq!(parse(&response(0x0406, &[])), Ok(None));
        assert!(parse(&response(0x0401, &[])).is_err());
    }

    #[test]
    fn broken_answers_are_errors_not_panics() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[2, 0, 0, 0, 0, 0, 0, 1, 0x01, 0x23, 0xff]).is_err());
        let r = response(0, &[(0x23, "job-state", &9i32.to_be_bytes())]);
        for cut in 0..r.len() {
            let _ = parse(&r[..cut]);
        }
        assert_eq!(dechunk(b"4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n"), Ok(b"abcdef".to_vec()));
        assert!(dechunk(b"zz\r\n").is_err());
    }

    #[test]
    fn the_request_is_well_formed() {
        let r = request(42);
        assert_eq!(&r[..4], &[2, 0, 0, 9]);
        assert_eq!(*r.last().unwrap_or(&0), 0x03);
        assert!(String::from_utf8_lossy(&r).contains("ipp://localhost/jobs/42"));
    }
}
