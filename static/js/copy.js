// Copy buttons: <button class="copy" data-copy="ID"> copies the text of the element ID.
document.querySelectorAll("button.copy[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const text = source.value !== undefined ? source.value : source.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      source.select();
      document.execCommand("copy");
    }
    button.textContent = "Copied";
  });
});
