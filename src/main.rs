fn main() {
    println!("burstsim {}", burstsim::version());
}
