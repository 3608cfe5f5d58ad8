//! Scheduling classes: threads spawned while the shard starts its services run in the batch
//! class; the thread that runs the ticks is back in the normal class afterwards; the real-time
//! class is set where permitted.

use tools::sched::{Class, current_class, set_class, start_in_background};

#[cfg(target_os = "linux")]
#[test]
fn threads_spawned_while_starting_services_are_batch_and_the_caller_is_normal_again() {
    let caller = std::thread::spawn(|| {
        assert_eq!(current_class().unwrap(), Class::Normal);
        let service = start_in_background(|| std::thread::spawn(|| current_class().unwrap()));
        let after = current_class().unwrap();
        let later = std::thread::spawn(|| current_class().unwrap()).join().unwrap();
        (service.join().unwrap(), after, later)
    });
    let (service, after, later) = caller.join().unwrap();
    assert_eq!(service, Class::Batch, "a service thread inherits the batch class");
    assert_eq!(after, Class::Normal, "the tick thread is back in the normal class");
    assert_eq!(later, Class::Normal, "threads spawned afterwards (rayon helpers) are normal");
}

#[test]
fn only_normal_batch_and_real_time_in_range_can_be_set() {
    for class in [Class::Other(1), Class::Realtime(0), Class::Realtime(100)] {
        let e = set_class(class).unwrap_err();
        let kind = e.kind();
        assert!(matches!(kind, std::io::ErrorKind::InvalidInput | std::io::ErrorKind::Unsupported), "{e}");
    }
}

/// Where the process may use real-time priorities (root, CAP_SYS_NICE, RLIMIT_RTPRIO) the class
/// is set and threads spawned afterwards start normal; elsewhere the refusal is a permission
/// error and the thread stays normal. Both outcomes are checked, whichever this machine allows.
#[cfg(target_os = "linux")]
#[test]
fn the_real_time_class_is_set_where_permitted_and_spawned_threads_start_normal() {
    let outcome = std::thread::spawn(|| match set_class(Class::Realtime(1)) {
        Ok(()) => {
            let me = current_class().unwrap();
            let spawned = std::thread::spawn(|| current_class().unwrap()).join().unwrap();
            set_class(Class::Normal).unwrap();
            Ok((me, spawned))
        }
        Err(e) => Err((e.kind(), current_class().unwrap())),
    });
    match outcome.join().unwrap() {
        Ok((me, spawned)) => {
            assert_eq!(me, Class::Realtime(1));
            assert_eq!(spawned, Class::Normal, "reset on fork: helpers it spawns are normal");
        }
        Err((kind, class)) => {
            assert_eq!(kind, std::io::ErrorKind::PermissionDenied);
            assert_eq!(class, Class::Normal, "a refused change leaves the thread as it was");
        }
    }
}
