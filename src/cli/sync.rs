//! `kiosk sync status`: the station's side of the township link.

use crate::service::Station;

pub fn status(st: &Station, json: bool) -> i32 {
    match st.sync_status() {
        Ok(s) if json => {
            crate::outln!(
                "{}",
                serde_json::json!({
                    "connected": s.connected,
                    "outbox_pending": s.outbox_pending,
                    "catalogue_version": s.catalogue_version,
                })
            );
            0
        }
        Ok(s) => {
            crate::outln!("与镇中心：{}", if s.connected { "已连接" } else { "未连接" });
            crate::outln!("待上报的记录：{} 条", s.outbox_pending);
            crate::outln!("事项清单：第{}版", s.catalogue_version);
            0
        }
        Err(e) => super::explained(&e),
    }
}
