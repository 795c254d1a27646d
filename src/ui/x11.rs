//! The kiosk's own small X11 platform for Slint: one full-screen window drawn by Slint's
//! software renderer straight into memory shared with the X server (MIT-SHM).
//!
//! Why not Slint's winit backend on X: it asks the display server about seventy questions
//! before the first picture (input methods, keyboard extensions, monitors, a clipboard
//! connection, window properties one by one), loads six X libraries, and makes the window
//! at 800×600 first, so the home page was drawn twice. A restart in front of a waiting
//! villager spent half its time there (scripts/bench-start.sh). This platform asks four:
//! the connection, the atoms and the X resources (all at once), the shared-memory version
//! and its attachment, and makes the window at the screen's size. Under a Wayland compositor (the Debian
//! package runs the kiosk in cage) or with `SLINT_BACKEND` set, Slint's own backend is
//! used as before; so it is too when this display cannot do what is needed here (a
//! 24-bit true-colour screen and MIT-SHM), or with `--windowed`.
//!
//! The scale factor is `SLINT_SCALE_FACTOR`, else the X resources' `Xft.dpi` ÷ 96 (as
//! winit has it), else 1.
//!
//! Input: pointer presses, releases, motion and wheel (a touchscreen under X arrives as
//! the pointer), and keys (a barcode scanner on the progress lookup types like a keyboard)
//! with the server's keyboard map, asked for at the first key.

use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType, SoftwareRenderer, TargetPixel,
};
use slint::platform::{EventLoopProxy, Key, Platform, PointerEventButton, WindowAdapter, WindowEvent};
use slint::{EventLoopError, LogicalPosition, PhysicalSize, PlatformError};
use std::cell::RefCell;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    self, AtomEnum, ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask, ImageFormat, KeyButMask, PropMode,
    VisualClass, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

/// Sets this platform up for the process when the kiosk runs full screen on X. `Err` says
/// why not (empty when it is simply not an X session); Slint's own backend is then used.
pub fn install() -> Result<(), String> {
    if std::env::var_os("SLINT_BACKEND").is_some_and(|b| !b.is_empty()) {
        return Err("SLINT_BACKEND chooses the backend".into());
    }
    if std::env::var_os("WAYLAND_DISPLAY").is_some_and(|w| !w.is_empty())
        || std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty())
    {
        return Err(String::new());
    }
    let platform = X11Platform::connect()?;
    slint::platform::set_platform(Box::new(platform)).map_err(|e| format!("cannot set the platform: {e}"))
}

/// A pixel of a 24-bit true-colour X image: 0x00RRGGBB in the machine's byte order.
#[repr(transparent)]
#[derive(Clone, Copy, Default)]
struct Xrgb(u32);

impl TargetPixel for Xrgb {
    fn blend(&mut self, c: PremultipliedRgbaColor) {
        let keep = 255 - u32::from(c.alpha);
        let channel = |shift: u32, add: u8| ((((self.0 >> shift) & 0xff) * keep) / 255 + u32::from(add)).min(255);
        self.0 = channel(16, c.red) << 16 | channel(8, c.green) << 8 | channel(0, c.blue);
    }

    fn from_rgb(r: u8, g: u8, b: u8) -> Self {
        Xrgb(u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b))
    }
}

/// The picture, in memory the X server reads directly (a memfd attached with MIT-SHM).
struct ShmImage {
    seg: shm::Seg,
    ptr: *mut Xrgb,
    width: u16,
    height: u16,
}

impl ShmImage {
    fn new(conn: &RustConnection, width: u16, height: u16) -> Result<ShmImage, String> {
        let pixels = usize::from(width) * usize::from(height);
        let bytes = pixels * std::mem::size_of::<Xrgb>();
        let fd = rustix::fs::memfd_create(c"kiosk-screen", rustix::fs::MemfdFlags::CLOEXEC)
            .map_err(|e| format!("memfd_create: {e}"))?;
        rustix::fs::ftruncate(&fd, bytes as u64).map_err(|e| format!("cannot size the screen buffer: {e}"))?;
        use rustix::mm::{MapFlags, ProtFlags};
        // SAFETY: a new shared mapping of the whole memfd, at an address the kernel picks;
        // it is unmapped exactly once, when the image drops.
        let ptr = unsafe {
            rustix::mm::mmap(std::ptr::null_mut(), bytes, ProtFlags::READ | ProtFlags::WRITE, MapFlags::SHARED, &fd, 0)
        }
        .map_err(|e| format!("cannot map the screen buffer: {e}"))?;
        // Owned from here: dropped (unmapped) on any error below.
        let mut image = ShmImage { seg: 0, ptr: ptr.cast(), width, height };
        let seg = conn.generate_id().map_err(|e| e.to_string())?;
        // The server gets its own copy of the descriptor; ours closes when `fd` drops, the
        // mapping stays.
        conn.shm_attach_fd(seg, fd, false)
            .map_err(|e| e.to_string())?
            .check()
            .map_err(|e| format!("the X server cannot share the screen buffer: {e}"))?;
        image.seg = seg;
        Ok(image)
    }

    fn pixels(&mut self) -> &mut [Xrgb] {
        let len = usize::from(self.width) * usize::from(self.height);
        // SAFETY: `ptr` maps `len` pixels for the life of `self`; the only other reader is
        // the X server, and the caller draws only when no put from it is in flight.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, len) }
    }

    fn detach(&self, conn: &RustConnection) {
        if self.seg != 0 {
            let _ = conn.shm_detach(self.seg);
        }
    }
}

impl Drop for ShmImage {
    fn drop(&mut self) {
        let bytes = usize::from(self.width) * usize::from(self.height) * std::mem::size_of::<Xrgb>();
        // SAFETY: unmaps exactly the mapping made in `new`; nothing uses it afterwards.
        let _ = unsafe { rustix::mm::munmap(self.ptr.cast(), bytes) };
    }
}

/// Wakes the event loop from other threads (`slint::invoke_from_event_loop`, quit).
struct Wakeup {
    fd: OwnedFd,
    queue: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    quit: AtomicBool,
}

impl Wakeup {
    fn poke(&self) {
        let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
    }

    fn drain(&self) {
        let mut n = [0u8; 8];
        let _ = rustix::io::read(&self.fd, &mut n);
    }
}

struct Proxy(Arc<Wakeup>);

impl EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), EventLoopError> {
        self.0.quit.store(true, Ordering::SeqCst);
        self.0.poke();
        Ok(())
    }

    fn invoke_from_event_loop(&self, event: Box<dyn FnOnce() + Send>) -> Result<(), EventLoopError> {
        self.0.queue.lock().map_err(|_| EventLoopError::EventLoopTerminated)?.push(event);
        self.0.poke();
        Ok(())
    }
}

struct Atoms {
    wm_protocols: u32,
    wm_delete_window: u32,
}

/// The server's keyboard map: keysyms per keycode, asked for at the first key press.
struct Keymap {
    min_keycode: u8,
    per_keycode: u8,
    keysyms: Vec<u32>,
}

impl Keymap {
    fn keysym(&self, keycode: u8, state: KeyButMask) -> u32 {
        let per = usize::from(self.per_keycode);
        let Some(row) = keycode.checked_sub(self.min_keycode) else { return 0 };
        let at = |col: usize| self.keysyms.get(usize::from(row) * per + col).copied().unwrap_or(0);
        let (lower, upper) = (at(0), if per > 1 { at(1) } else { 0 });
        let shifted = state.contains(KeyButMask::SHIFT);
        let letter = (u32::from(b'a')..=u32::from(b'z')).contains(&lower);
        let caps = letter && state.contains(KeyButMask::LOCK);
        match (shifted != caps, upper) {
            (true, 0) if letter => lower - 0x20,
            (true, 0) | (false, _) => lower,
            (true, up) => up,
        }
    }
}

/// The text Slint expects for a keysym: the character, or one of its special keys.
fn key_text(keysym: u32) -> Option<slint::SharedString> {
    let special = match keysym {
        0xff08 => Key::Backspace,
        0xff09 => Key::Tab,
        0xff0d | 0xff8d => Key::Return,
        0xff1b => Key::Escape,
        0xffff => Key::Delete,
        0xff50 => Key::Home,
        0xff51 => Key::LeftArrow,
        0xff52 => Key::UpArrow,
        0xff53 => Key::RightArrow,
        0xff54 => Key::DownArrow,
        0xff55 => Key::PageUp,
        0xff56 => Key::PageDown,
        0xff57 => Key::End,
        0xffe1 => Key::Shift,
        0xffe2 => Key::ShiftR,
        0xffe3 => Key::Control,
        0xffe4 => Key::ControlR,
        0xffe9 => Key::Alt,
        0xffea => Key::AltGr,
        0xffb0..=0xffb9 => return char::from_u32(keysym - 0xffb0 + u32::from(b'0')).map(|c| c.to_string().into()),
        0x20..=0x7e | 0xa0..=0xff => return char::from_u32(keysym).map(|c| c.to_string().into()),
        0x0100_0100..=0x0110_ffff => return char::from_u32(keysym - 0x0100_0000).map(|c| c.to_string().into()),
        _ => return None,
    };
    Some(special.into())
}

struct State {
    image: Option<ShmImage>,
    size: (u16, u16),
    /// Puts the server has not finished reading; the picture is not drawn over meanwhile.
    in_flight: u32,
    /// When the oldest of them was sent: a put the server never confirms (an error) must
    /// not freeze the screen.
    in_flight_since: Option<std::time::Instant>,
    /// Whether the buffer holds a picture yet (exposures before that are left alone).
    drawn: bool,
    keymap: Option<Keymap>,
    closed: bool,
}

struct X11Platform {
    window: Rc<MinimalSoftwareWindow>,
    conn: RustConnection,
    win: xproto::Window,
    gc: xproto::Gcontext,
    depth: u8,
    atoms: Atoms,
    scale: f32,
    wake: Arc<Wakeup>,
    state: RefCell<State>,
}

impl X11Platform {
    /// Connects, checks the screen, and makes and maps the full-screen window; the picture
    /// follows on the first turn of the event loop.
    fn connect() -> Result<X11Platform, String> {
        let (conn, screen_num) = x11rb::connect(None).map_err(|e| format!("cannot connect to the display: {e}"))?;
        let screen = conn.setup().roots.get(screen_num).ok_or("the display has no such screen")?.clone();
        let true_colour =
            screen.allowed_depths.iter().filter(|d| d.depth == screen.root_depth).flat_map(|d| &d.visuals).any(|v| {
                v.visual_id == screen.root_visual
                    && v.class == VisualClass::TRUE_COLOR
                    && (v.red_mask, v.green_mask, v.blue_mask) == (0xff_0000, 0xff00, 0xff)
            });
        let four_bytes =
            conn.setup().pixmap_formats.iter().any(|f| f.depth == screen.root_depth && f.bits_per_pixel == 32);
        let lsb = conn.setup().image_byte_order == xproto::ImageOrder::LSB_FIRST;
        if screen.root_depth != 24 || !true_colour || !four_bytes || !lsb || cfg!(target_endian = "big") {
            return Err(format!("the screen is not 24-bit true colour (depth {})", screen.root_depth));
        }
        let err = |e: x11rb::errors::ConnectionError| e.to_string();
        // Everything below is sent at once; the replies are awaited together.
        conn.prefetch_extension_information(shm::X11_EXTENSION_NAME).map_err(err)?;
        let names: [&[u8]; 6] = [
            b"WM_PROTOCOLS",
            b"WM_DELETE_WINDOW",
            b"_NET_WM_STATE",
            b"_NET_WM_STATE_FULLSCREEN",
            b"_NET_WM_NAME",
            b"UTF8_STRING",
        ];
        let cookies = names.iter().map(|n| conn.intern_atom(false, n)).collect::<Result<Vec<_>, _>>().map_err(err)?;
        // The X resources (Xft.dpi gives the scale factor, as winit reads it).
        let resources = conn
            .get_property(false, screen.root, AtomEnum::RESOURCE_MANAGER, AtomEnum::STRING, 0, 1 << 16)
            .map_err(err)?;
        let (width, height) = (screen.width_in_pixels, screen.height_in_pixels);
        let win = conn.generate_id().map_err(|e| e.to_string())?;
        let events = EventMask::EXPOSURE
            | EventMask::STRUCTURE_NOTIFY
            | EventMask::BUTTON_PRESS
            | EventMask::BUTTON_RELEASE
            | EventMask::POINTER_MOTION
            | EventMask::LEAVE_WINDOW
            | EventMask::KEY_PRESS
            | EventMask::KEY_RELEASE
            | EventMask::FOCUS_CHANGE;
        // No background: until the first picture the screen keeps what it showed.
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            win,
            screen.root,
            0,
            0,
            width,
            height,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new().event_mask(events),
        )
        .map_err(err)?;
        let gc = conn.generate_id().map_err(|e| e.to_string())?;
        conn.create_gc(gc, win, &CreateGCAux::new().graphics_exposures(0)).map_err(err)?;
        let mut atoms = Vec::with_capacity(names.len());
        for c in cookies {
            atoms.push(c.reply().map_err(|e| format!("cannot name the window's properties: {e}"))?.atom);
        }
        let [wm_protocols, wm_delete_window, net_wm_state, fullscreen, net_wm_name, utf8] = atoms[..] else {
            return Err("the display answered too few atoms".into());
        };
        let xft_scale = resources.reply().ok().and_then(|r| xft_dpi(&r.value)).map(|dpi| dpi / 96.0);
        let title = "村级综合服务站";
        conn.change_property8(PropMode::REPLACE, win, AtomEnum::WM_NAME, AtomEnum::STRING, b"kiosk").map_err(err)?;
        conn.change_property8(PropMode::REPLACE, win, net_wm_name, utf8, title.as_bytes()).map_err(err)?;
        conn.change_property8(PropMode::REPLACE, win, AtomEnum::WM_CLASS, AtomEnum::STRING, b"kiosk\0kiosk\0")
            .map_err(err)?;
        conn.change_property32(PropMode::REPLACE, win, wm_protocols, AtomEnum::ATOM, &[wm_delete_window])
            .map_err(err)?;
        conn.change_property32(PropMode::REPLACE, win, net_wm_state, AtomEnum::ATOM, &[fullscreen]).map_err(err)?;
        conn.change_property32(
            PropMode::REPLACE,
            win,
            AtomEnum::WM_NORMAL_HINTS,
            AtomEnum::WM_SIZE_HINTS,
            &size_hints(width, height),
        )
        .map_err(err)?;
        // MIT-SHM 1.2 (descriptor passing) is needed before the window is shown.
        let version = conn
            .shm_query_version()
            .map_err(|e| format!("the display has no MIT-SHM: {e}"))?
            .reply()
            .map_err(|e| format!("the display has no MIT-SHM: {e}"))?;
        if (version.major_version, version.minor_version) < (1, 2) {
            return Err(format!("MIT-SHM {}.{} is too old", version.major_version, version.minor_version));
        }
        let image = ShmImage::new(&conn, width, height)?;
        // The ordinary arrow, as other programs show it (the root's cursor is a cross). Set
        // after the window is made, so a server without the cursor font only loses this.
        let font = conn.generate_id().map_err(|e| e.to_string())?;
        let cursor = conn.generate_id().map_err(|e| e.to_string())?;
        conn.open_font(font, b"cursor").map_err(err)?;
        conn.create_glyph_cursor(cursor, font, font, LEFT_PTR, LEFT_PTR + 1, 0, 0, 0, 0xffff, 0xffff, 0xffff)
            .map_err(err)?;
        conn.close_font(font).map_err(err)?;
        conn.change_window_attributes(win, &xproto::ChangeWindowAttributesAux::new().cursor(cursor)).map_err(err)?;
        conn.map_window(win).map_err(err)?;
        conn.flush().map_err(err)?;

        use rustix::event::EventfdFlags;
        let efd = rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)
            .map_err(|e| format!("eventfd: {e}"))?;
        let wake = Arc::new(Wakeup { fd: efd, queue: Mutex::new(Vec::new()), quit: AtomicBool::new(false) });
        let scale = std::env::var("SLINT_SCALE_FACTOR")
            .ok()
            .and_then(|s| s.parse::<f32>().ok())
            .filter(|s| s.is_normal() && *s > 0.0)
            .or(xft_scale)
            .unwrap_or(1.0);
        Ok(X11Platform {
            window: MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer),
            conn,
            win,
            gc,
            depth: screen.root_depth,
            atoms: Atoms { wm_protocols, wm_delete_window },
            scale,
            wake,
            state: RefCell::new(State {
                image: Some(image),
                size: (width, height),
                in_flight: 0,
                in_flight_since: None,
                drawn: false,
                keymap: None,
                closed: false,
            }),
        })
    }

    fn dispatch(&self, event: WindowEvent) {
        if let Err(e) = self.window.dispatch_event_with_result(event) {
            tracing::warn!("the window refused an event: {e}");
        }
    }

    fn position(&self, x: i16, y: i16) -> LogicalPosition {
        LogicalPosition::new(f32::from(x) / self.scale, f32::from(y) / self.scale)
    }

    fn handle(&self, event: Event) {
        match event {
            Event::Expose(e) if self.state.borrow().drawn => self.put(e.x, e.y, e.width, e.height, false),
            Event::ConfigureNotify(e) if e.window == self.win => self.resized(e.width, e.height),
            Event::ButtonPress(e) | Event::ButtonRelease(e) => {
                let pressed = e.response_type & 0x7f == xproto::BUTTON_PRESS_EVENT;
                let position = self.position(e.event_x, e.event_y);
                let button = match e.detail {
                    1 => PointerEventButton::Left,
                    2 => PointerEventButton::Middle,
                    3 => PointerEventButton::Right,
                    4..=7 => {
                        if pressed {
                            let step = 60.0;
                            let (dx, dy) = match e.detail {
                                4 => (0.0, step),
                                5 => (0.0, -step),
                                6 => (step, 0.0),
                                _ => (-step, 0.0),
                            };
                            self.dispatch(WindowEvent::PointerScrolled { position, delta_x: dx, delta_y: dy });
                        }
                        return;
                    }
                    8 => PointerEventButton::Back,
                    9 => PointerEventButton::Forward,
                    _ => PointerEventButton::Other,
                };
                self.dispatch(if pressed {
                    WindowEvent::PointerPressed { position, button }
                } else {
                    WindowEvent::PointerReleased { position, button }
                });
            }
            Event::MotionNotify(e) => {
                self.dispatch(WindowEvent::PointerMoved { position: self.position(e.event_x, e.event_y) });
            }
            Event::LeaveNotify(_) => self.dispatch(WindowEvent::PointerExited),
            Event::KeyPress(e) | Event::KeyRelease(e) => {
                let pressed = e.response_type & 0x7f == xproto::KEY_PRESS_EVENT;
                let Some(text) = self.keysym(e.detail, e.state).and_then(key_text) else { return };
                self.dispatch(if pressed {
                    WindowEvent::KeyPressed { text }
                } else {
                    WindowEvent::KeyReleased { text }
                });
            }
            Event::FocusIn(_) => self.dispatch(WindowEvent::WindowActiveChanged(true)),
            Event::FocusOut(_) => self.dispatch(WindowEvent::WindowActiveChanged(false)),
            Event::MappingNotify(_) => self.state.borrow_mut().keymap = None,
            Event::ShmCompletion(_) => {
                let mut st = self.state.borrow_mut();
                st.in_flight = st.in_flight.saturating_sub(1);
                if st.in_flight == 0 {
                    st.in_flight_since = None;
                }
            }
            Event::ClientMessage(e)
                if e.window == self.win
                    && e.type_ == self.atoms.wm_protocols
                    && e.data.as_data32()[0] == self.atoms.wm_delete_window =>
            {
                self.dispatch(WindowEvent::CloseRequested);
                self.state.borrow_mut().closed = true;
            }
            Event::Error(e) => tracing::warn!("X server error: {e:?}"),
            _ => {}
        }
    }

    fn keysym(&self, keycode: u8, state: KeyButMask) -> Option<u32> {
        let mut st = self.state.borrow_mut();
        if st.keymap.is_none() {
            let setup = self.conn.setup();
            let (min, max) = (setup.min_keycode, setup.max_keycode);
            let reply =
                self.conn.get_keyboard_mapping(min, max.saturating_sub(min).saturating_add(1)).ok()?.reply().ok()?;
            st.keymap =
                Some(Keymap { min_keycode: min, per_keycode: reply.keysyms_per_keycode, keysyms: reply.keysyms });
        }
        st.keymap.as_ref().map(|k| k.keysym(keycode, state)).filter(|k| *k != 0)
    }

    /// The window manager gave the window another size: a new buffer, a full redraw.
    fn resized(&self, width: u16, height: u16) {
        let mut st = self.state.borrow_mut();
        if st.size == (width, height) || width == 0 || height == 0 {
            return;
        }
        st.size = (width, height);
        if let Some(old) = st.image.take() {
            old.detach(&self.conn);
        }
        match ShmImage::new(&self.conn, width, height) {
            Ok(image) => st.image = Some(image),
            Err(e) => tracing::warn!("cannot make the screen buffer for {width}x{height}: {e}"),
        }
        drop(st);
        self.window.set_size(PhysicalSize::new(u32::from(width), u32::from(height)));
        self.window.request_redraw();
    }

    /// Shows a rectangle of the picture; `notify` asks the server to say when it has read it.
    fn put(&self, x: u16, y: u16, w: u16, h: u16, notify: bool) {
        let mut st = self.state.borrow_mut();
        let Some(image) = st.image.as_ref() else { return };
        let (iw, ih) = (image.width, image.height);
        let (x, y) = (x.min(iw), y.min(ih));
        let (w, h) = (w.min(iw - x), h.min(ih - y));
        if w == 0 || h == 0 {
            return;
        }
        let (dx, dy) = (i16::try_from(x).unwrap_or(i16::MAX), i16::try_from(y).unwrap_or(i16::MAX));
        let seg = image.seg;
        let sent = self.conn.shm_put_image(
            self.win,
            self.gc,
            iw,
            ih,
            x,
            y,
            w,
            h,
            dx,
            dy,
            self.depth,
            ImageFormat::Z_PIXMAP.into(),
            notify,
            seg,
            0,
        );
        match sent {
            Ok(_) if notify => {
                st.in_flight += 1;
                st.in_flight_since.get_or_insert_with(std::time::Instant::now);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot show the picture: {e}"),
        }
    }

    /// Draws what changed, when the server has read the previous picture.
    fn draw(&self) {
        {
            let mut st = self.state.borrow_mut();
            if st.in_flight_since.is_some_and(|t| t.elapsed() > UNCONFIRMED) {
                tracing::warn!("the X server did not confirm {} picture updates; drawing on", st.in_flight);
                (st.in_flight, st.in_flight_since) = (0, None);
            }
            if st.in_flight > 0 {
                return;
            }
        }
        self.window.draw_if_needed(|renderer: &SoftwareRenderer| {
            let region = {
                let mut st = self.state.borrow_mut();
                let Some(image) = st.image.as_mut() else { return };
                let stride = usize::from(image.width);
                let region = renderer.render(image.pixels(), stride);
                if !st.drawn {
                    crate::system::starttrace::mark("first frame drawn");
                }
                st.drawn = true;
                region
            };
            for (at, size) in region.iter() {
                let clamp = |v: i32| u16::try_from(v.max(0)).unwrap_or(u16::MAX);
                let dim = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
                self.put(clamp(at.x), clamp(at.y), dim(size.width), dim(size.height), true);
            }
        });
    }

    fn wait(&self, timeout: Option<Duration>) {
        use rustix::event::{PollFd, PollFlags, Timespec};
        let woken = {
            let mut fds = [PollFd::new(self.conn.stream(), PollFlags::IN), PollFd::new(&self.wake.fd, PollFlags::IN)];
            // Rounded up, so that a timer due in under a millisecond is not polled for twice.
            let limit = timeout
                .map(|t| t + Duration::from_millis(1))
                .map(|t| Timespec { tv_sec: t.as_secs() as i64, tv_nsec: i64::from(t.subsec_nanos()) });
            let _ = rustix::event::poll(&mut fds, limit.as_ref());
            !fds[1].revents().is_empty()
        };
        if woken {
            self.wake.drain();
        }
    }
}

impl Platform for X11Platform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        let (w, h) = self.state.borrow().size;
        if (self.scale - 1.0).abs() > f32::EPSILON {
            self.window.dispatch_event(WindowEvent::ScaleFactorChanged { scale_factor: self.scale });
        }
        self.window.set_size(PhysicalSize::new(u32::from(w), u32::from(h)));
        Ok(self.window.clone())
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(Proxy(self.wake.clone())))
    }

    fn run_event_loop(&self) -> Result<(), PlatformError> {
        self.wake.quit.store(false, Ordering::SeqCst);
        self.state.borrow_mut().closed = false;
        let (w, h) = self.state.borrow().size;
        self.window.set_size(PhysicalSize::new(u32::from(w), u32::from(h)));
        self.window.dispatch_event(WindowEvent::WindowActiveChanged(true));
        self.window.request_redraw();
        let lost =
            |e: x11rb::errors::ConnectionError| PlatformError::Other(format!("the display connection was lost: {e}"));
        loop {
            slint::platform::update_timers_and_animations();
            while let Some(event) = self.conn.poll_for_event().map_err(lost)? {
                self.handle(event);
            }
            let queued = match self.wake.queue.lock() {
                Ok(mut q) => std::mem::take(&mut *q),
                Err(_) => Vec::new(),
            };
            for job in queued {
                job();
            }
            if self.wake.quit.load(Ordering::SeqCst) || self.state.borrow().closed {
                return Ok(());
            }
            self.draw();
            self.conn.flush().map_err(lost)?;
            // Events read while drawing are handled before sleeping.
            if let Some(event) = self.conn.poll_for_event().map_err(lost)? {
                self.handle(event);
                continue;
            }
            let mut timeout = if self.window.has_active_animations() {
                Some(Duration::from_millis(16))
            } else {
                slint::platform::duration_until_next_timer_update()
            };
            if self.state.borrow().in_flight > 0 {
                timeout = Some(timeout.map_or(UNCONFIRMED, |t| t.min(UNCONFIRMED)));
            }
            self.wait(timeout);
        }
    }
}

/// `Xft.dpi` from the X resources (RESOURCE_MANAGER), when it is a sensible number.
fn xft_dpi(resources: &[u8]) -> Option<f32> {
    let text = std::str::from_utf8(resources).ok()?;
    let value = text.lines().find_map(|l| l.strip_prefix("Xft.dpi:"))?;
    value.trim().parse::<f32>().ok().filter(|d| (24.0..=960.0).contains(d))
}

/// The arrow in the X cursor font.
const LEFT_PTR: u16 = 68;

/// How long a picture update may go unconfirmed before drawing goes on regardless.
const UNCONFIRMED: Duration = Duration::from_millis(250);

/// WM_NORMAL_HINTS asking for exactly the screen's size at the screen's origin.
fn size_hints(width: u16, height: u16) -> [u32; 18] {
    const US_POSITION: u32 = 1;
    const P_POSITION: u32 = 4;
    const P_MIN_SIZE: u32 = 16;
    const P_MAX_SIZE: u32 = 32;
    let (w, h) = (u32::from(width), u32::from(height));
    let mut hints = [0u32; 18];
    hints[0] = US_POSITION | P_POSITION | P_MIN_SIZE | P_MAX_SIZE;
    (hints[5], hints[6], hints[7], hints[8]) = (w, h, w, h);
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blending_matches_the_rgb8_pixel() {
        let mut p = Xrgb::from_rgb(200, 100, 50);
        p.blend(PremultipliedRgbaColor { red: 40, green: 20, blue: 10, alpha: 128 });
        let mut q = slint::Rgb8Pixel::new(200, 100, 50);
        q.blend(PremultipliedRgbaColor { red: 40, green: 20, blue: 10, alpha: 128 });
        assert_eq!(p.0, u32::from(q.r) << 16 | u32::from(q.g) << 8 | u32::from(q.b));
    }

    #[test]
    fn the_scale_comes_from_xft_dpi() {
        assert_eq!(xft_dpi(b"Xcursor.size:\t24\nXft.dpi:\t192\nXft.antialias:\t1\n"), Some(192.0));
        assert_eq!(xft_dpi(b"Xft.dpi: 96"), Some(96.0));
        assert_eq!(xft_dpi(b"Xft.dpi:\tlots\n"), None);
        assert_eq!(xft_dpi(b"Xft.dpi:\t0\n"), None);
        assert_eq!(xft_dpi(b"Xft.dpir:\t96\n"), None);
        assert_eq!(xft_dpi(b"\xff\xfe"), None);
        assert_eq!(xft_dpi(b""), None);
    }

    #[test]
    fn keys_become_slint_text() {
        assert_eq!(key_text(u32::from(b'7')).as_deref(), Some("7"));
        assert_eq!(key_text(0xff0d), Some(slint::SharedString::from(Key::Return)));
        assert_eq!(key_text(0xffb3).as_deref(), Some("3"));
        assert_eq!(key_text(0x0100_4e2d).as_deref(), Some("中"));
        assert_eq!(key_text(0xfe03), None);
        let map = Keymap {
            min_keycode: 8,
            per_keycode: 2,
            keysyms: vec![u32::from(b'a'), u32::from(b'A'), u32::from(b'1'), u32::from(b'!')],
        };
        assert_eq!(map.keysym(8, KeyButMask::default()), u32::from(b'a'));
        assert_eq!(map.keysym(8, KeyButMask::SHIFT), u32::from(b'A'));
        assert_eq!(map.keysym(8, KeyButMask::LOCK), u32::from(b'A'));
        assert_eq!(map.keysym(9, KeyButMask::SHIFT), u32::from(b'!'));
        assert_eq!(map.keysym(9, KeyButMask::LOCK), u32::from(b'1'));
        assert_eq!(map.keysym(3, KeyButMask::default()), 0);
    }
}
