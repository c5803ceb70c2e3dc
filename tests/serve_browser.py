#!/usr/bin/env python3
"""serve_browser.py URL MODEL RECORDING CLI_SCORE CSV CLI_PROBS SHOT_DIR - the
page at / in headless Chromium (Debian chromium + chromium-driver,
python3-selenium). Recording mode: choose MODEL, upload RECORDING through the
file input, and check the rendered participant probability against pat
score's (CLI_SCORE: its participants CSV) and that the chart is shown.
Sequences mode: upload CSV and check every rendered probability and their
mean against pat predict's (CLI_PROBS). Prints PASS/FAIL lines; saves a
screenshot of each mode in SHOT_DIR."""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

url, model, rec_path, score_path, csv_path, cli_path, shots = sys.argv[1:8]
cli = [float(line) for line in open(cli_path)]
score_row = open(score_path).read().splitlines()[1].split(",")

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--window-size=1100,900"):
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    wait = WebDriverWait(driver, 30)
    driver.get(url)
    wait.until(lambda d: len(Select(d.find_element(By.ID, "model")).options) > 0)
    Select(driver.find_element(By.ID, "model")).select_by_value(model)
    driver.find_element(By.ID, "file").send_keys(rec_path)
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Loaded"))
    driver.find_element(By.ID, "run").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Done"))
    p = driver.find_element(By.ID, "p-prob")
    want = float(score_row[1])
    ok = float(p.get_attribute("data-value")) == want and p.text == f"{want:.3f}"
    print("PASS browser_participant_equals_pat_score" if ok else
          f"FAIL browser_participant_equals_pat_score: page {p.text}, pat score {score_row}")
    wait.until(lambda d: d.execute_script(
        "const i = document.getElementById('p-chart'); return i.complete && i.naturalWidth > 0"))
    print("PASS browser_participant_chart_shown")
    driver.save_screenshot(shots + "/serve_page_recording.png")

    driver.find_element(By.ID, "mode-sequences").click()
    driver.find_element(By.ID, "file").send_keys(csv_path)
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Loaded"))
    driver.find_element(By.ID, "run").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Done"))
    cells = driver.find_elements(By.CSS_SELECTOR, "#rows td.prob")
    exact = [float(c.get_attribute("data-value")) for c in cells]
    shown = [c.text for c in cells]
    ok = exact == cli and shown == [f"{p:.3f}" for p in cli]
    print("PASS browser_probabilities_equal_cli" if ok else
          f"FAIL browser_probabilities_equal_cli: page {shown} {exact}, CLI {cli}")
    mean = driver.find_element(By.ID, "mean")
    want = sum(cli) / len(cli)
    ok = abs(float(mean.get_attribute("data-value")) - want) < 1e-12 and mean.text == f"{want:.3f}"
    print("PASS browser_mean_probability" if ok else
          f"FAIL browser_mean_probability: page {mean.text}, CLI mean {want:.6f}")
    bands = driver.find_elements(By.CSS_SELECTOR, "#chart svg path")
    print("PASS browser_chart_drawn" if len(bands) == len(cli) else
          f"FAIL browser_chart_drawn: {len(bands)} activity lines for {len(cli)} sequences")
    driver.save_screenshot(shots + "/serve_page_sequences.png")
    # A malformed upload shows the server's message, not a result.
    driver.find_element(By.ID, "text").send_keys("1,2,x")
    driver.find_element(By.ID, "run").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "not a number"))
    print("PASS browser_shows_errors")
finally:
    driver.quit()
