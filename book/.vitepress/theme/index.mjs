// VitePress's default theme, with the book's few extra styles.
import DefaultTheme from 'vitepress/theme'
import './custom.css'

export default DefaultTheme
