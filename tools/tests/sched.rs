//! Scheduling classes: threads spawned while the shard starts its services run in the batch
//! class; the thread that runs the ticks is back in the normal class afterwards.

use tools::sched::{Class, current_class, start_in_background};

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
fn only_normal_and_batch_can_be_set() {
    let e = tools::sched::set_class(Class::Other(1)).unwrap_err();
    assert!(matches!(e.kind(), std::io::ErrorKind::InvalidInput | std::io::ErrorKind::Unsupported), "{e}");
}
